-- wrk script for `make bench-submit`: POST pre-built form bodies, one per request.
--
--   wrk ... -s bench/submit.lua <url> -- <bodies-prefix> <expected-location> <reuse>
--
-- Thread i reads <bodies-prefix><i>.txt (one url-encoded body per line; the driver
-- gives every thread its own file, so no two requests share a one-time token).
-- <reuse> = "cycle" lets a thread start its file again (the baseline has no token);
-- "once" never reuses a body: a thread that runs out repeats its last body, counts
-- it in `exhausted`, and the driver fails the run.
--
-- A reply counts as a success when it is 2xx, or 3xx with a Location containing
-- <expected-location> (so a 302 to the login page is not a success). done() prints
-- one line "BENCH_JSON {...}" with the counters and the latency percentiles.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function init(args)
   local prefix = args[1]
   expected_location = args[2]
   cycle = args[3] == "cycle"
   bodies = {}
   for line in io.lines(prefix .. id .. ".txt") do
      bodies[#bodies + 1] = line
   end
   headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   headers["Content-Type"] = "application/x-www-form-urlencoded"
   next_body = 0
   -- wrk calls request() once on the first thread's state before the run, to check
   -- the request it returns (script_verify_request); that one is never sent.
   sent = id == 1 and -1 or 0
   received = 0
   ok = 0
   exhausted = 0
   wrong_location = 0
   statuses = {}
end

function request()
   next_body = next_body + 1
   if next_body > #bodies then
      if cycle then
         next_body = 1
      else
         exhausted = exhausted + 1
         next_body = #bodies
      end
   end
   sent = sent + 1
   return wrk.format("POST", wrk.path, headers, bodies[next_body])
end

function response(status, headers, body)
   received = received + 1
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status >= 200 and status < 300 then
      ok = ok + 1
   elseif status >= 300 and status < 400 then
      local location = headers["Location"] or headers["location"] or ""
      if string.find(location, expected_location, 1, true) then
         ok = ok + 1
      else
         wrong_location = wrong_location + 1
      end
   end
end

function done(summary, latency, requests)
   local totals = { sent = 0, received = 0, ok = 0, exhausted = 0, wrong_location = 0 }
   local status_totals = {}
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + thread:get(name)
      end
      for status, count in pairs(thread:get("statuses")) do
         status_totals[status] = (status_totals[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(status_totals) do
      parts[#parts + 1] = string.format('"%s": %d', status, count)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "completed": %d, "sent": %d, "received": %d, '
         .. '"ok": %d, "wrong_location": %d, "exhausted": %d, "statuses": {%s}, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.duration, summary.requests, totals.sent, totals.received, totals.ok,
      totals.wrong_location, totals.exhausted, table.concat(parts, ", "),
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean
   ))
end
