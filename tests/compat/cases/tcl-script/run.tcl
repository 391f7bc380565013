set counts [dict create]
foreach c [split "mississippi" ""] { dict incr counts $c }
foreach k [lsort [dict keys $counts]] { puts -nonewline "$k=[dict get $counts $k] " }
puts ""
puts [lsort -integer -decreasing {5 3 10 1}]
regexp {(\d+)-(\d+)} "range 10-20" -> lo hi
puts "regexp $lo $hi [expr {$hi - $lo}]"
puts [format "%05.1f|%-4s|%x" 3.14159 ab 255]
puts [string map {a A} "banana"]
set path /tmp/tcl-compat.txt
set f [open $path w]; puts $f "one\ntwo"; close $f
set f [open $path r]; set data [read $f]; close $f
puts "lines [llength [split [string trim $data] \n]]"
file delete $path
puts [exec sh -c "seq 3 | tac" | tr "\n" " "]
set start [clock milliseconds]
after 100
puts "after waited [expr {[clock milliseconds] - $start >= 100}]"
puts [clock format 0 -gmt 1 -format "%Y-%m-%d"]
if {[catch {exec sh -c "exit 2"} msg opts]} { puts "exec failed: [lindex [dict get $opts -errorcode] 2]" }
exit 5
