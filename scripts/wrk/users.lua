-- wrk script for scripts/bench-pocketbase.sh: one request shape per run,
-- chosen by the environment, against Roster or PocketBase alike.
--   MODE        get | patch | search
--   IDS_FILE    one record id per line (get, patch)
--   NAMES_FILE  one name per line, the source of 3-letter search terms
--   ITEM_PATH   path a record id is appended to (get, patch)
--   SEARCH_URL  path and query, its TERM replaced by the url-encoded term
--   AUTH        the Authorization header's value
--   PATCH_TYPE  the PATCH body's content type
local mode = os.getenv("MODE")
local ids, names = {}, {}

local function lines(path, into)
	if path and path ~= "" then
		for line in io.lines(path) do into[#into + 1] = line end
	end
end

local function urlencode(s)
	return (s:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local letters = "abcdefghijklmnopqrstuvwxyz"
local function randomName()
	local n = {}
	for i = 1, 7 do
		local k = math.random(#letters)
		n[i] = letters:sub(k, k)
	end
	return table.concat(n)
end

init = function(args)
	lines(os.getenv("IDS_FILE"), ids)
	lines(os.getenv("NAMES_FILE"), names)
	math.randomseed(os.time() + math.floor(os.clock() * 1000000))
	wrk.headers["Authorization"] = os.getenv("AUTH")
end

request = function()
	if mode == "get" then
		return wrk.format("GET", os.getenv("ITEM_PATH") .. ids[math.random(#ids)])
	elseif mode == "patch" then
		local body = '{"first_name":"' .. randomName() .. '"}'
		-- A headers table given to wrk.format replaces wrk.headers.
		local headers = { ["Authorization"] = wrk.headers["Authorization"], ["Content-Type"] = os.getenv("PATCH_TYPE") }
		return wrk.format("PATCH", os.getenv("ITEM_PATH") .. ids[math.random(#ids)], headers, body)
	end
	local name = names[math.random(#names)]
	local off = math.random(math.max(1, #name - 2))
	local term = name:sub(off, off + 2):lower()
	local encoded = urlencode(term):gsub("%%", "%%%%")
	return wrk.format("GET", (os.getenv("SEARCH_URL"):gsub("TERM", encoded)))
end
