"""paho-mqtt over WebSocket to mosquitto with a 2 s Keep Alive: CONNECT, SUBSCRIBE, PUBLISH,
then idle so that PINGREQ/PINGRESP flow, then a stall of the client's network loop of 3.3 s
(more than 1.5 x Keep Alive since its last packet) so that one PINGREQ is late, then one more
exchange and DISCONNECT. The network loop runs in this thread (loop()), so the stall is real:
nothing is read or sent. mosquitto checks keep-alives in whole seconds (now - last > 3), so the
stall starts early in a wall-clock second and the late PINGREQ reaches it before it gives up.
Usage: python3 mqtt_client.py HOST PORT TRUTH"""
import json, sys, time
import paho.mqtt.client as mqtt

host, port, truth = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def log(what, **kw):
    with open(truth, "a") as f:
        f.write(json.dumps({"t": int(time.time() * 1000), "who": "client", "what": what, **kw}) + "\n")

def run(c, secs):
    end = time.time() + secs
    while time.time() < end:
        c.loop(timeout=0.02)

c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="wsk-app-mqtt", transport="websockets")
c.on_log = lambda cl, ud, level, buf: log("paho", line=buf)
c.connect(host, port, keepalive=2)
run(c, 0.3)
c.subscribe("wsk/app", qos=0)
c.publish("wsk/app", b"hello mqtt heartbeats", qos=0)
run(c, 4.5)  # two PINGREQ/PINGRESP exchanges
# Start the stall just after a whole second so that mosquitto's seconds-resolution check sees
# 3 s, not 4 (it disconnects only when more than 3 s passed).
run(c, 1.0 - (time.time() % 1.0) + 0.05)
c.publish("wsk/app", b"before the stall", qos=0)
c.loop(timeout=0.01)
log("stall-start")
time.sleep(3.3)
log("stall-end")
run(c, 2.5)  # the late PINGREQ, then one more exchange
c.disconnect()
log("done")
