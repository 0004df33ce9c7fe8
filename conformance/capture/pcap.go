package capture

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// WritePcap writes every frame the ports recorded since their last Reset to
// w as pcapng, one pcapng interface per port (named after its observation
// point, with the interface name as description) and frames in time order.
// Wireshark and tcpdump read it.
func WritePcap(w io.Writer, ports ...*Port) error {
	bw := bufio.NewWriter(w)
	if err := writePcapng(bw, ports); err != nil {
		return err
	}
	return bw.Flush()
}

type indexedFrame struct {
	Frame
	intf int
}

func writePcapng(w *bufio.Writer, ports []*Port) error {
	if len(ports) == 0 {
		return fmt.Errorf("no observation ports")
	}
	iface := func(p *Port) pcapgo.NgInterface {
		return pcapgo.NgInterface{Name: p.Point, Description: p.Iface, LinkType: layers.LinkTypeEthernet, SnapLength: 1 << 16}
	}
	ng, err := pcapgo.NewNgWriterInterface(w, iface(ports[0]), pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "lbcheck conform"}})
	if err != nil {
		return err
	}
	var all []indexedFrame
	for i, p := range ports {
		id := 0
		if i > 0 {
			if id, err = ng.AddInterface(iface(p)); err != nil {
				return err
			}
		}
		for _, f := range p.Frames() {
			all = append(all, indexedFrame{f, id})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	for _, f := range all {
		data := f.Packet.Data
		ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(data), Length: len(data), InterfaceIndex: f.intf}
		if err := ng.WritePacket(ci, data); err != nil {
			return err
		}
	}
	return ng.Flush()
}
