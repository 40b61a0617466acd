// Truth log shared by the push-service peers: one JSON line per thing a library reports as sent
// or received, with the wall-clock time (ms).
const fs = require("fs");
module.exports = function truth(file, who) {
  return (what, fields) => {
    fs.appendFileSync(file, JSON.stringify({ t: Date.now(), who, what, ...fields }) + "\n");
  };
};
