"""paho-mqtt over WebSocket to mosquitto with a 1 s Keep Alive: CONNECT, SUBSCRIBE, PUBLISH,
then idle so that PINGREQ/PINGRESP flow. Usage: python3 mqtt_client.py HOST PORT TRUTH"""
import json, sys, time
import paho.mqtt.client as mqtt

host, port, truth = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def log(what, **kw):
    with open(truth, "a") as f:
        f.write(json.dumps({"t": int(time.time() * 1000), "who": "client", "what": what, **kw}) + "\n")

c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="wsk-app-mqtt", transport="websockets")
c.on_log = lambda cl, ud, level, buf: log("paho", line=buf)
c.connect(host, port, keepalive=1)
c.loop_start()
time.sleep(0.3)
c.subscribe("wsk/app", qos=0)
c.publish("wsk/app", b"hello mqtt heartbeats", qos=0)
time.sleep(3.6)
c.disconnect()
c.loop_stop()
log("done")
