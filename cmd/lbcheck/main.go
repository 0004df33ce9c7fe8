// Command lbcheck checks Azure-style load balancers with Floating IP / Direct
// Server Return: it lints rule sets and guest-OS declarations, runs packet
// conformance suites in network namespaces, and runs the reference forwarder.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:])) }
