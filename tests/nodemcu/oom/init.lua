-- tests/nodemcu/oom/init.lua — a script that keeps what it builds until the heap is gone: the
-- allocation that fails is reported as "out of memory" and the chip restarts 2 s later.
print("boot heap " .. node.heap())
local keep = {}
tmr.create():alarm(100, tmr.ALARM_AUTO, function()
  for i = 1, 20 do keep[#keep + 1] = string.rep("x", 100) .. #keep end
  print("held " .. #keep .. " heap " .. node.heap())
end)
