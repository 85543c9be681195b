-- init.lua: one secure MQTT connect, in the manner of NodeMCU's tls and mqtt docs. Devices with an
-- even chip id verify the broker against the CA in ca.crt (the run's --ca) with tls.cert.verify;
-- the others do not call it (NodeMCU's default: the server is not verified at all). Each says
-- which it does and how the connect went and, once connected, publishes to nodemcu/<id>/hello.
-- When the run gave the device its own certificate and key (tls.client_cert), it presents them
-- with tls.cert.auth.
local id = node.chipid()
local verify = id % 2 == 0
if verify then tls.cert.verify(file.getcontents("ca.crt")) end
print("verify " .. (verify and "on" or "off"))
if file.exists("client.crt") then
  tls.cert.auth(file.getcontents("client.crt"), file.getcontents("client.key"))
  print("client certificate presented")
end
m = mqtt.Client("tls-" .. id, 60)
wifi.setmode(wifi.STATION)
wifi.sta.config({ssid = "espfleet", pwd = "password1234", got_ip_cb = function()
  m:connect("broker.example.com", 8883, true, function(client)
    print("connected, heap " .. node.heap())
    client:publish("nodemcu/" .. id .. "/hello", verify and "verified" or "unverified", 1, 0,
                   function() print("hello acknowledged") end)
  end, function(client, reason)
    print("connect failed, reason " .. reason)
  end)
end})
