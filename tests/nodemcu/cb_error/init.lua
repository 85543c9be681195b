-- tests/nodemcu/cb_error/init.lua — a callback that fails: NodeMCU prints the traceback and, with
-- no node.setonerror handler of the script's own, restarts the chip 2 s later.
print("boot " .. node.chipid())
tmr.create():alarm(500, tmr.ALARM_SINGLE, function()
  local cfg = nil
  print(cfg.broker)
end)
