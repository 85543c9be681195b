-- tests/nodemcu/timers/status.lua — a module of the project, loaded with require.
local M = {}
function M.line(what, n)
  return what .. " " .. n .. " heap " .. node.heap() .. " at " .. math.floor(tmr.now() / 1000) .. " ms"
end
return M
