using System.Runtime.CompilerServices;
using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

/// <summary>The native struct layouts the ports hand to libc and libpcap (64-bit Linux ABI sizes).</summary>
public sealed class InteropLayoutTests
{
    [Fact]
    public void Libc_structs_have_the_linux_x64_sizes()
    {
        Assert.Equal(8, Unsafe.SizeOf<LibC.PollFd>());      // struct pollfd
        Assert.Equal(16, Unsafe.SizeOf<LibC.IoVec>());      // struct iovec
        Assert.Equal(56, Unsafe.SizeOf<LibC.MsgHdr>());     // struct msghdr
        Assert.Equal(64, Unsafe.SizeOf<LibC.MMsgHdr>());    // struct mmsghdr
        Assert.Equal(16, Unsafe.SizeOf<LibC.CMsgHdr>());    // struct cmsghdr
        Assert.Equal(28, Unsafe.SizeOf<PacketRxRing.TPacketReq3>()); // struct tpacket_req3
        Assert.Equal(40, Unsafe.SizeOf<InterfaceControl.IfReq>()); // struct ifreq
    }

    [Fact]
    public void Libpcap_structs_have_the_linux_x64_sizes()
    {
        Assert.Equal(24, Unsafe.SizeOf<PcapPacketHeader>()); // struct pcap_pkthdr
        Assert.Equal(16, Unsafe.SizeOf<PcapLibrary.NativeBpfProgram>()); // struct bpf_program
    }

    [Theory]
    [InlineData("send: No buffer space available", LibC.ENOBUFS)]
    [InlineData("send: Resource temporarily unavailable", LibC.EAGAIN)]
    [InlineData("send: No such device or address", LibC.ENXIO)]
    [InlineData("send: Network is down", LibC.ENETDOWN)]
    [InlineData("send: Message too long", LibC.EMSGSIZE)]
    [InlineData("something libpcap never says", LibC.EIO)]
    public void The_errno_of_a_refused_pcap_send_is_read_back_from_libpcaps_text(string message, int errno)
    {
        Assert.Equal(errno, PcapLibrary.ErrnoOf(message));
    }

    [Fact]
    public void Errno_text_names_the_symbol_and_number()
    {
        string text = LibC.Describe(LibC.ENODEV);
        Assert.Contains("ENODEV", text, StringComparison.Ordinal);
        Assert.Contains("19", text, StringComparison.Ordinal);
        Assert.Contains("No such device", text, StringComparison.Ordinal);
    }
}
