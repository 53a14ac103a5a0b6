using InSitu.Torch.Onnx;

namespace InSitu.Torch.Tests.Onnx;

/// <summary>The protobuf wire format against the byte sequences of the protocol buffers encoding guide.</summary>
public class ProtoWriterTests
{
    private static string Hex(ProtoWriter w) => Convert.ToHexString(w.ToArray());

    [Fact]
    public void VarintsTakeSevenBitsPerByteLowGroupFirst()
    {
        Assert.Equal("089601", Hex(new ProtoWriter().Int(1, 150)));
        Assert.Equal("0800", Hex(new ProtoWriter().Int(1, 0)));
        Assert.Equal("087F", Hex(new ProtoWriter().Int(1, 127)));
        Assert.Equal("088001", Hex(new ProtoWriter().Int(1, 128)));
        // int64 -1: two's complement, ten bytes
        Assert.Equal("08FFFFFFFFFFFFFFFFFF01", Hex(new ProtoWriter().Int(1, -1)));
        // field numbers above 15 take a two-byte tag (ModelProto.metadata_props is 14, AttributeProto.type is 20)
        Assert.Equal("A00102", Hex(new ProtoWriter().Int(20, 2)));
    }

    [Fact]
    public void StringsPackedListsFloatsAndMessagesAreLengthDelimited()
    {
        Assert.Equal("120774657374696E67", Hex(new ProtoWriter().String(2, "testing")));
        Assert.Equal("2206038E029EA705", Hex(new ProtoWriter().PackedInts(4, [3, 270, 86942])));
        Assert.Equal("150000803F", Hex(new ProtoWriter().Float(2, 1f)));
        Assert.Equal("1A03089601", Hex(new ProtoWriter().Message(3, m => m.Int(1, 150))));
        Assert.Equal("0A00", Hex(new ProtoWriter().Message(1, _ => { })));
        // a 200-byte payload needs a two-byte length
        var bytes = new ProtoWriter().Bytes(9, new byte[200]).ToArray();
        Assert.Equal("4AC801", Convert.ToHexString(bytes, 0, 3));
        Assert.Equal(203, bytes.Length);
    }

    [Fact]
    public void FieldNumbersStartAtOne() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoWriter().Int(0, 1));
}
