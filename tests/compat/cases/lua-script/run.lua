local counts = {}
for c in ("mississippi"):gmatch(".") do counts[c] = (counts[c] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", counts[k], " ") end
print()
print(("2024-05-06"):gsub("(%d+)-(%d+)-(%d+)", "%3.%2.%1"))
local function counter() local n = 0; return function() n = n + 1; return n end end
local c = counter(); c(); print("closure", c())
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
print("coroutine", gen(), gen(), gen())
print(string.format("%5.2f|%-4s|%x|%q", math.pi, "ab", 255, "quote\"d"))
print(math.maxinteger, 7 // 2, 7 % 3, 2^10)
local path = os.tmpname()
local f = assert(io.open(path, "w")); f:write("one\ntwo\n"); f:close()
local n = 0; for _ in io.lines(path) do n = n + 1 end; print("lines", n)
os.remove(path)
print("execute", os.execute("exit 3"))
local p = io.popen("echo from popen"); print(p:read("l")); print("popen close", p:close())
print(os.date("!%Y-%m-%d", 0), type(os.time()))
os.exit(6)
