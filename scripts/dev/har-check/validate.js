// Validate HAR files against the HAR 1.2 JSON schema (the har-schema package, the schema that
// har-validator uses) with Ajv, and check the WebSocket part in the shape Chrome DevTools exports:
// "_resourceType": "websocket" and "_webSocketMessages" of {type: send|receive, time, opcode, data}.
//
//   node scripts/dev/har-check/validate.js FILE...     (npm ci in scripts/dev/har-check first)
//
// Prints "FILE: valid HAR 1.2, N entries, M WebSocket messages" per file; exits 1 on the first
// invalid one, with the schema errors.
'use strict'
const fs = require('fs')
const Ajv = require('ajv')
const addFormats = require('ajv-formats')
const schemas = require('har-schema')
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json')

// har-schema is draft-06 and uses the non-standard keywords "optional" and "min" (ignored here
// as by har-validator); strict mode would reject them.
const ajv = new Ajv({ allErrors: true, strict: false })
ajv.addMetaSchema(draft06)
addFormats(ajv)
for (const s of Object.values(schemas)) ajv.addSchema(s)
const validate = ajv.getSchema('har.json#')

const wsMessage = {
  type: 'object',
  required: ['type', 'time', 'opcode', 'data'],
  additionalProperties: false,
  properties: {
    type: { enum: ['send', 'receive'] },
    time: { type: 'number', minimum: 0 },
    opcode: { enum: [1, 2] },
    data: { type: 'string' }
  }
}
const validateWs = ajv.compile({
  type: 'object',
  required: ['_resourceType', '_webSocketMessages'],
  properties: {
    _resourceType: { const: 'websocket' },
    request: { properties: { url: { type: 'string', pattern: '^wss?://' } } },
    response: { properties: { status: { const: 101 } } },
    _webSocketMessages: { type: 'array', items: wsMessage }
  }
})

let failed = false
for (const file of process.argv.slice(2)) {
  const har = JSON.parse(fs.readFileSync(file, 'utf8'))
  if (!validate(har)) {
    console.error(`${file}: not valid HAR 1.2:\n${JSON.stringify(validate.errors, null, 2)}`)
    failed = true
    break
  }
  let messages = 0
  for (const [i, e] of har.log.entries.entries()) {
    if (!validateWs(e)) {
      console.error(`${file}: entry ${i} is not a DevTools WebSocket entry:\n${JSON.stringify(validateWs.errors, null, 2)}`)
      failed = true
      break
    }
    messages += e._webSocketMessages.length
  }
  if (failed) break
  console.log(`${file}: valid HAR 1.2, ${har.log.entries.length} entries, ${messages} WebSocket messages`)
}
process.exit(failed ? 1 : 0)
