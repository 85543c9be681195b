-- tests/nodemcu/syntax/init.lua — an init.lua that does not compile: the interpreter says why and
-- the chip stays up (no restart).
print("never printed"
