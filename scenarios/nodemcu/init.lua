-- init.lua — a NodeMCU MQTT client over TLS, written the way NodeMCU's mqtt and tls documentation
-- writes one: the broker's CA loaded with tls.cert.verify, mqtt.Client with a last will, a secure
-- connect whose failure callback tries again 10 s later, telemetry on a timer, a command topic.
-- espfleet gives every device its broker's CA certificate as the file ca.crt (docs/nodemcu.md);
-- on a real device the PEM text would be pasted into tls.cert.verify([[...]]) once.
local id = "nodemcu-" .. node.chipid()
local topic = "nodemcu/" .. id
local online = false
local sent = 0

tls.cert.verify(file.getcontents("ca.crt"))

m = mqtt.Client(id, 60)
m:lwt(topic .. "/LWT", "Offline", 0, 1)

local do_mqtt_connect  -- defined below

local function handle_mqtt_error(client, reason)
  print("MQTT connect failed, reason: " .. reason)
  tmr.create():alarm(10 * 1000, tmr.ALARM_SINGLE, do_mqtt_connect)
end

do_mqtt_connect = function()
  m:connect("broker.example.com", 8883, true, function(client)
    online = true
    print("MQTT connected, heap " .. node.heap())
    client:publish(topic .. "/LWT", "Online", 0, 1)
    client:subscribe(topic .. "/cmd", 0)
  end, handle_mqtt_error)
end

m:on("offline", function(client)
  online = false
  print("MQTT offline")
  tmr.create():alarm(10 * 1000, tmr.ALARM_SINGLE, do_mqtt_connect)
end)

m:on("message", function(client, t, data)
  print("MQTT message " .. t .. ": " .. tostring(data))
  if data == "heap" then client:publish(topic .. "/heap", tostring(node.heap()), 0, 0) end
end)

tmr.create():alarm(10 * 1000, tmr.ALARM_AUTO, function()
  if not online then return end
  sent = sent + 1
  m:publish(topic .. "/tele", string.format('{"n":%d,"heap":%d,"uptime":%d}', sent, node.heap(), tmr.time()), 0, 0)
end)

wifi.setmode(wifi.STATION)
wifi.sta.config({ssid = "espfleet", pwd = "password1234", got_ip_cb = function(T)
  print("WiFi up, IP " .. T.IP)
  do_mqtt_connect()
end})
