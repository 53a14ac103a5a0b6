using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace InSitu.Torch.Onnx;

/// <summary>
/// The protocol buffers wire format, as much of it as an ONNX model needs: varint, 32-bit and length-delimited
/// fields. A nested message is written by a callback into a writer of its own and embedded with its length, so
/// nothing has to know a message's size in advance.
/// </summary>
public sealed class ProtoWriter
{
    private const int Varint = 0, Fixed32 = 5, LengthDelimited = 2;
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>An int64/int32/enum/bool field; negative values take ten bytes, as protobuf's int64 encoding says.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, Varint);
        RawVarint(unchecked((ulong)value));
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        RawVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A repeated int64 field, packed (one length-delimited run of varints), as proto3 writes it.</summary>
    public ProtoWriter PackedInts(int field, IEnumerable<long> values)
    {
        var packed = new ProtoWriter();
        foreach (var v in values) packed.RawVarint(unchecked((ulong)v));
        return Bytes(field, packed._buffer.WrittenSpan);
    }

    /// <summary>An embedded message whose fields <paramref name="write"/> fills in.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var inner = new ProtoWriter();
        write(inner);
        return Bytes(field, inner._buffer.WrittenSpan);
    }

    private void Tag(int field, int wireType)
    {
        if (field < 1) throw new ArgumentOutOfRangeException(nameof(field), field, "protobuf field numbers start at 1");
        RawVarint(((ulong)field << 3) | (uint)wireType);
    }

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            Byte((byte)(value | 0x80));
            value >>= 7;
        }
        Byte((byte)value);
    }

    private void Byte(byte b)
    {
        _buffer.GetSpan(1)[0] = b;
        _buffer.Advance(1);
    }
}
