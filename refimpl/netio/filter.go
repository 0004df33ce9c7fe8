package netio

import "golang.org/x/sys/unix"

// ipFilter is the classic BPF program of the read sockets: accept a frame
// whose ethertype (offset 12 of the Ethernet header) is IPv4 or IPv6, drop
// the rest (ARP, LLDP, ...) in the kernel, before it is queued.
var ipFilter = unix.SockFprog{Len: uint16(len(ipFilterInsns)), Filter: &ipFilterInsns[0]}

var ipFilterInsns = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: 12},                    // A = ethertype
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, K: unix.ETH_P_IP}, // IPv4: accept
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jf: 1, K: unix.ETH_P_IPV6},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff}, // accept the whole frame
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},          // drop
}
