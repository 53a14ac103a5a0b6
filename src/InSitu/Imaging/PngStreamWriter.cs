using System.Buffers.Binary;
using System.IO.Compression;
using InSitu.Torch;

namespace InSitu.Imaging;

/// <summary>Sample layout of a <see cref="PngStreamWriter"/>: grey or RGB, 8 or 16 bits per sample, or 8-bit palette indices.</summary>
public enum PngFormat { Gray8, Gray16, Rgb8, Indexed8 }

/// <summary>
/// Writes a PNG row by row, so an image of any size leaves memory as it is made: IHDR, then IDAT chunks of a zlib
/// stream of "Up"-filtered scanlines (16-bit samples big-endian, as the format says), then IEND. The file grows under
/// a hidden temporary name (<see cref="AtomicFile.TemporaryPath"/>) and is renamed into place by
/// <see cref="Complete"/>; disposing an unfinished writer removes it, so a cut-off run never leaves a partial image.
/// </summary>
public sealed class PngStreamWriter : IDisposable
{
    private static readonly uint[] CrcTable = MakeCrcTable();
    private readonly string _path, _tmp;
    private readonly FileStream _file;
    private readonly ZLibStream _zlib;
    private readonly IdatStream _idat;
    private readonly PngFormat _format;
    private byte[] _previous, _current, _filtered;
    private int _rows;
    private bool _done;

    /// <param name="palette">Indexed8 only: the colour of each index (at most 256).</param>
    public PngStreamWriter(string path, int width, int height, PngFormat format, IReadOnlyList<(byte R, byte G, byte B)>? palette = null)
    {
        if ((format == PngFormat.Indexed8) != palette is not null || palette is { Count: 0 or > 256 })
            throw new ArgumentException("an indexed PNG needs a palette of 1..256 colours, and only an indexed PNG takes one");
        if (width < 1 || height < 1) throw new ArgumentException($"a PNG needs a positive size, not {width}x{height}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new IOException($"cannot write image '{path}': folder '{dir}' does not exist");
        (_path, Width, Height, _format) = (path, width, height, format);
        _tmp = AtomicFile.TemporaryPath(path);
        int bytes = width * format switch { PngFormat.Gray16 => 2, PngFormat.Rgb8 => 3, _ => 1 };
        (_previous, _current, _filtered) = (new byte[bytes], new byte[bytes], new byte[bytes + 1]);
        _file = new FileStream(_tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _file.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)(format == PngFormat.Gray16 ? 16 : 8);
        header[9] = (byte)(format switch { PngFormat.Rgb8 => 2, PngFormat.Indexed8 => 3, _ => 0 });
        WriteChunk(_file, "IHDR", header);
        if (palette is not null) WriteChunk(_file, "PLTE", palette.SelectMany(c => new[] { c.R, c.G, c.B }).ToArray());
        _idat = new IdatStream(_file);
        _zlib = new ZLibStream(_idat, CompressionLevel.Fastest, leaveOpen: true);
    }

    public int Width { get; }
    public int Height { get; }
    public int RowsWritten => _rows;

    /// <summary>The next row of 8-bit samples (Width for grey and indices, 3 x Width interleaved for RGB).</summary>
    public void WriteRow(ReadOnlySpan<byte> samples)
    {
        if (_format == PngFormat.Gray16) throw new InvalidOperationException("a 16-bit PNG takes 16-bit rows");
        if (samples.Length != _current.Length) throw new ArgumentException($"a row holds {_current.Length} samples, not {samples.Length}");
        samples.CopyTo(_current);
        Emit();
    }

    /// <summary>The next row of 16-bit grey samples.</summary>
    public void WriteRow(ReadOnlySpan<ushort> samples)
    {
        if (_format != PngFormat.Gray16) throw new InvalidOperationException("an 8-bit PNG takes 8-bit rows");
        if (2 * samples.Length != _current.Length) throw new ArgumentException($"a row holds {Width} samples, not {samples.Length}");
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(_current.AsSpan(2 * i), samples[i]);
        Emit();
    }

    private void Emit()
    {
        if (_rows >= Height) throw new InvalidOperationException($"the image has only {Height} rows");
        _filtered[0] = 2; // Up: each byte minus the one above, which compresses smooth maps well
        for (int i = 0; i < _current.Length; i++) _filtered[i + 1] = (byte)(_current[i] - _previous[i]);
        _zlib.Write(_filtered);
        (_previous, _current) = (_current, _previous);
        _rows++;
    }

    /// <summary>Ends the file and moves it into place; every row must have been written.</summary>
    public void Complete()
    {
        if (_rows != Height) throw new InvalidOperationException($"'{_path}' got {_rows} of its {Height} rows");
        _zlib.Dispose();
        _idat.Flush();
        WriteChunk(_file, "IEND", Array.Empty<byte>());
        _file.Dispose();
        File.Move(_tmp, _path, overwrite: true);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _zlib.Dispose();
        _file.Dispose();
        if (File.Exists(_tmp)) File.Delete(_tmp);
        _done = true;
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, head[4..]), data) ^ 0xFFFFFFFFu;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>Collects the zlib stream into IDAT chunks of up to 64 KiB.</summary>
    private sealed class IdatStream(Stream file) : Stream
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                int n = Math.Min(data.Length, _buffer.Length - _used);
                data[..n].CopyTo(_buffer.AsSpan(_used));
                _used += n;
                data = data[n..];
                if (_used == _buffer.Length) Flush();
            }
        }

        public override void Flush()
        {
            if (_used == 0) return;
            WriteChunk(file, "IDAT", _buffer.AsSpan(0, _used));
            _used = 0;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
