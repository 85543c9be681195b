-- init.lua: NodeMCU's sjson module — encode a table (array, object, numbers, strings with escapes,
-- sjson.NULL), decode it back, decode with a null value of the script's, refuse malformed text.
local t = sjson.decode('{"name":"dev\\u00e9\\n","n":[1,2.5,-3e2,true,false,null],"o":{"a":{}},"e":[]}')
print("decoded", t.name == "dev\195\169\n", t.n[1], t.n[2], t.n[3], t.n[4], t.n[5], t.n[6] == sjson.NULL, type(t.o.a))
print("encoded " .. sjson.encode({1, 2.5, "q\"x", sjson.NULL, {k = true}}))
print("object " .. sjson.encode({only = "one"}))
local z = sjson.decode('[null]', {null = 0})
print("null as", z[1])
local ok, err = pcall(sjson.decode, '{"a":1,}')
print("malformed", ok, err)
local ok2, err2 = pcall(sjson.encode, {[true] = 1})
print("bad key", ok2, err2)
print("round trip " .. sjson.encode(sjson.decode(sjson.encode({heap = node.heap() > 0, list = {3, 2, 1}}))))
