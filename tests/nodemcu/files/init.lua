-- init.lua: NodeMCU's file module on the device's own files: write, append, read back by line and
-- by count, list, rename, remove; and what is written stays across a restart (node.restart once).
if file.exists("boots") then
  local n = tonumber(file.getcontents("boots")) + 1
  file.putcontents("boots", tostring(n))
  print("boot " .. n .. " kept " .. tostring(file.getcontents("log.txt")):gsub("\n", "|"))
  return
end
file.putcontents("boots", "1")
local f = file.open("log.txt", "w")
f:writeline("first")
f:write("second")
f:close()
f = file.open("log.txt", "a+")
f:write("\nthird")
f:close()
f = file.open("log.txt", "r")
print("line 1 [" .. f:readline() .. "] line 2 [" .. f:readline() .. "] rest [" .. f:read(100) .. "] then " .. tostring(f:read()))
f:close()
local names = {}
for name, size in pairs(file.list()) do names[#names + 1] = name .. "=" .. size end
table.sort(names)
print("list " .. table.concat(names, " "))
print("rename " .. tostring(file.rename("log.txt", "old.txt")) .. " exists " .. tostring(file.exists("log.txt")) ..
      " " .. tostring(file.exists("old.txt")))
file.remove("old.txt")
local remaining, used, total = file.fsinfo()
print("after remove " .. tostring(file.exists("old.txt")) .. " fsinfo " .. tostring(remaining + used == total))
file.putcontents("log.txt", "kept\n")
tmr.create():alarm(500, tmr.ALARM_SINGLE, function() node.restart() end)
