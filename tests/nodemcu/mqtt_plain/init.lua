-- init.lua: a plain MQTT client in the manner of NodeMCU's mqtt and wifi documentation. It joins
-- the station, connects when it has an address, publishes every 2 s, answers "ping" on its
-- command topic, and reconnects 10 s after a failure or a lost connection.
local id = "node-" .. node.chipid()
local connected = false
local count = 0

m = mqtt.Client(id, 60)
m:lwt("nodemcu/" .. id .. "/lwt", "offline", 0, 0)

local function do_mqtt_connect() end  -- forward

local function handle_mqtt_error(client, reason)
  print("connect failed, reason " .. reason)
  tmr.create():alarm(10 * 1000, tmr.ALARM_SINGLE, do_mqtt_connect)
end

do_mqtt_connect = function()
  m:connect("broker.example.com", 1883, false, function(client)
    connected = true
    print("connected")
    client:subscribe("nodemcu/" .. id .. "/cmd", 0, function(c) print("subscribed") end)
  end, handle_mqtt_error)
end

m:on("offline", function(client)
  connected = false
  print("offline")
  tmr.create():alarm(10 * 1000, tmr.ALARM_SINGLE, do_mqtt_connect)
end)

m:on("message", function(client, topic, data)
  print("message " .. topic .. " " .. tostring(data))
  if data == "ping" then client:publish("nodemcu/" .. id .. "/pong", "pong " .. count, 1, 0) end
end)

tmr.create():alarm(2000, tmr.ALARM_AUTO, function()
  if connected then
    count = count + 1
    m:publish("nodemcu/" .. id .. "/tele", '{"count":' .. count .. ',"heap":' .. node.heap() .. '}', 0, 0)
  end
end)

wifi.setmode(wifi.STATION)
wifi.eventmon.register(wifi.eventmon.STA_GOT_IP, function(T)
  print("got ip " .. T.IP)
  do_mqtt_connect()
end)
wifi.sta.config({ssid = "espfleet", pwd = "password123"})
