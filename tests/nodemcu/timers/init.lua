-- tests/nodemcu/timers/init.lua — NodeMCU's timers as its docs use them: an ALARM_AUTO ticker, an
-- ALARM_SINGLE one-shot (unregistered once it fired), an ALARM_SEMI timer started again from its
-- own callback, the state of each, and a module loaded with require from the device's files.
local status = require("status")
print("ready " .. node.chipid() .. " heap " .. node.heap())

local ticks = 0
local ticker = tmr.create()
ticker:register(1000, tmr.ALARM_AUTO, function(t)
  ticks = ticks + 1
  print(status.line("tick", ticks))
end)
ticker:start()

local once = tmr.create()
once:alarm(2500, tmr.ALARM_SINGLE, function()
  print("single fired, state " .. tostring(once:state()))
end)

local semi_runs = 0
local semi = tmr.create()
semi:register(3000, tmr.ALARM_SEMI, function(t)
  semi_runs = semi_runs + 1
  local running, mode = t:state()
  print("semi " .. semi_runs .. " running " .. tostring(running) .. " mode " .. mode)
  if semi_runs < 2 then t:start() end
end)
print("semi start " .. tostring(semi:start()) .. " again " .. tostring(semi:start()))
