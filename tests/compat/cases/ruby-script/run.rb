require "json"
require "digest"
require "tmpdir"
$stdout.sync = true

counts = "mississippi".chars.tally.sort.to_h
puts counts.map { |k, v| "#{k}=#{v}" }.join(",")
puts JSON.generate({ "list" => [1, 2.5, nil], "name" => "ruby" })
Point = Struct.new(:x, :y) do
  def norm = Math.sqrt(x * x + y * y)
end
puts Point.new(3, 4).norm
puts (1..10).select(&:even?).map { _1 * 3 }.sum
puts Digest::SHA256.hexdigest("compat")[0, 16]
puts format("%08.3f|%-5s|%x", 3.14159, "ab", 255)
puts Time.at(0).utc.strftime("%F %T")
Dir.mktmpdir do |dir|
  File.write(File.join(dir, "a.txt"), "one\ntwo\n")
  Dir.mkdir(File.join(dir, "sub"))
  puts File.readlines(File.join(dir, "a.txt")).size
  puts Dir.children(dir).sort.inspect
end
pid = Process.spawn("sh", "-c", "exit 6")
Process.wait(pid)
puts "spawn status #{$?.exitstatus}"
puts "backticks #{`echo hi`.strip} #{$?.success?}"
begin
  raise ArgumentError, "bad"
rescue => e
  puts "rescued #{e.class}: #{e.message}"
end
r, w = IO.pipe
child = fork { r.close; w.puts "from fork"; w.close }
w.close
puts r.read.strip
Process.wait(child)
exit 2
