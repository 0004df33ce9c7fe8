package topo

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/refimpl/encap"
)

// TestEncapNotDecodedAsATunnel: a capture of the reference's encapsulation
// on EncapPort reads in tcpdump and in Wireshark (tshark) as plain UDP, not
// as Geneve or VXLAN (on Geneve's port 6081, where the encapsulation was
// first, both decode it as broken Geneve; the test shows that too, so it
// can fail).
func TestEncapNotDecodedAsATunnel(t *testing.T) {
	prereq.Tool(t, "tcpdump", "Debian package tcpdump")
	prereq.Tool(t, "tshark", "Debian package tshark, Wireshark's command line")
	capture := func(port int) string {
		inner := gopacket.NewSerializeBuffer()
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IPv4(198, 51, 100, 100), DstIP: net.IPv4(203, 0, 113, 10)}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, SYN: true, Window: 64240}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(inner, opts, ip, tcp); err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, encap.HeaderLen+len(inner.Bytes()))
		encap.Put(payload, encap.Header{Rule: 1, Backend: 2})
		copy(payload[encap.HeaderLen:], inner.Bytes())
		outer := gopacket.NewSerializeBuffer()
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		oip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: MuxAddr.AsSlice(), DstIP: HostAddr(0).AsSlice()}
		udp := &layers.UDP{SrcPort: layers.UDPPort(ControlPort), DstPort: layers.UDPPort(port)}
		_ = udp.SetNetworkLayerForChecksum(oip)
		if err := gopacket.SerializeLayers(outer, opts, eth, oip, udp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "encap.pcap")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		w := pcapgo.NewWriter(f)
		if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, 0), CaptureLength: len(outer.Bytes()), Length: len(outer.Bytes())}, outer.Bytes()); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return file
	}
	run := func(name string, args ...string) string {
		var out, errOut bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s%s", name, err, &out, &errOut)
		}
		return out.String()
	}
	tcpdump := func(file string) string { return run("tcpdump", "-nn", "-v", "-r", file) }
	// The protocol stack Wireshark's dissectors find, e.g. eth:ethertype:ip:udp:data.
	wireshark := func(file string) string {
		return strings.TrimSpace(run("tshark", "-r", file, "-T", "fields", "-e", "frame.protocols"))
	}
	file := capture(EncapPort)
	got := tcpdump(file)
	t.Logf("port %d, tcpdump: %s", EncapPort, got)
	if !strings.Contains(got, "UDP") || strings.Contains(strings.ToLower(got), "geneve") || strings.Contains(strings.ToLower(got), "vxlan") {
		t.Errorf("tcpdump decodes the encapsulation on port %d as a tunnel it is not:\n%s", EncapPort, got)
	}
	if got := wireshark(file); got != "eth:ethertype:ip:udp:data" {
		t.Errorf("Wireshark decodes the encapsulation on port %d as %s, want plain UDP data (eth:ethertype:ip:udp:data)", EncapPort, got)
	}
	old := capture(6081)
	if got := tcpdump(old); !strings.Contains(strings.ToLower(got), "geneve") {
		t.Errorf("on port 6081 tcpdump no longer says Geneve, so this test could not fail:\n%s", got)
	}
	if got := wireshark(old); !strings.Contains(got, "geneve") {
		t.Errorf("on port 6081 Wireshark decodes %s, not Geneve, so this test could not fail", got)
	}
}
