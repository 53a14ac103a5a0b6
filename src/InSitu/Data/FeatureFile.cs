using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// A matrix of float32 feature vectors on disk, one row per image, written in chunks as images stream through a
/// network and read back by rows or by blocks of columns, so that sets larger than memory work. Layout (little-endian):
/// <code>"INSITUFM" | int32 version (1) | int64 rows | int64 columns | int32 n | n bytes of UTF-8 JSON metadata | rows x columns float32,
/// row-major</code>
/// The file is written atomically (a hidden temporary file renamed at the end), so a file with this name is complete;
/// one whose size disagrees with its header is refused as truncated.
/// </summary>
public sealed class FeatureFile
{
    private static readonly byte[] Magic = "INSITUFM"u8.ToArray();
    private const int Version = 1;

    private FeatureFile(string path, long rows, int columns, string metadata, long dataOffset)
    {
        (Path, Rows, Columns, Metadata, _dataOffset) = (path, rows, columns, metadata, dataOffset);
    }

    private readonly long _dataOffset;

    public string Path { get; }
    public long Rows { get; }
    public int Columns { get; }

    /// <summary>What the features are (JSON written by the producer: network, taps, shapes, ...).</summary>
    public string Metadata { get; }

    /// <summary>
    /// Starts writing a feature file: rows are appended to a hidden temporary file beside <paramref name="path"/>, which
    /// <see cref="Writer.Complete"/> renames over it; a writer disposed before that leaves nothing behind.
    /// </summary>
    public static Writer Create(string path, int columns, string metadata)
    {
        if (columns < 1) throw new ArgumentException("a feature file needs at least one column");
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return new Writer(full, columns, Encoding.UTF8.GetBytes(metadata));
    }

    private static byte[] Header(long rows, int columns, int metadataLength)
    {
        var header = new byte[8 + 4 + 8 + 8 + 4];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), rows);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(20), columns);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), metadataLength);
        return header;
    }

    /// <summary>Appends rows to a feature file being written.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly string _path, _tmp;
        private readonly int _columns;
        private readonly int _metadataLength;
        private FileStream? _stream;

        internal Writer(string path, int columns, byte[] metadata)
        {
            (_path, _columns, _metadataLength) = (path, columns, metadata.Length);
            _tmp = AtomicFile.TemporaryPath(path);
            _stream = new FileStream(_tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
            _stream.Write(Header(0, columns, metadata.Length));
            _stream.Write(metadata);
        }

        public long Rows { get; private set; }
        public int Columns => _columns;

        /// <summary>Appends the rows of an n x columns tensor (any float type; written as float32).</summary>
        public void Append(Tensor rows)
        {
            var stream = _stream ?? throw new InvalidOperationException($"the feature file '{_path}' is already complete");
            if (rows.Shape.Length != 2 || rows.Size(1) != _columns)
                throw new ArgumentException($"feature rows must be n x {_columns}, got {Tensor.FormatShape(rows.Shape)}");
            var values = rows.ToFloatArray();
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            Rows += rows.Size(0);
        }

        /// <summary>Writes the row count and puts the file in place.</summary>
        public FeatureFile Complete()
        {
            var stream = _stream ?? throw new InvalidOperationException($"the feature file '{_path}' is already complete");
            stream.Position = 0;
            stream.Write(Header(Rows, _columns, _metadataLength));
            stream.Dispose();
            _stream = null;
            File.Move(_tmp, _path, overwrite: true);
            return Open(_path);
        }

        public void Dispose()
        {
            if (_stream is null) return;
            _stream.Dispose();
            _stream = null;
            if (File.Exists(_tmp)) File.Delete(_tmp);
        }
    }

    /// <summary>Reads and checks the header; a missing, foreign or truncated file is refused naming it.</summary>
    public static FeatureFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"feature file '{path}' does not exist", path);
        using var stream = File.OpenRead(path);
        var header = new byte[32];
        if (stream.Read(header, 0, header.Length) != header.Length || !header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not an InSitu feature file (no INSITUFM header)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != Version)
            throw new InvalidDataException($"'{path}' is a feature file of version {version}; this InSitu reads {Version}");
        long rows = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
        long columns = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(20));
        int metaLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(28));
        if (rows < 0 || columns < 1 || columns > int.MaxValue || metaLength < 0 || metaLength > stream.Length)
            throw new InvalidDataException($"'{path}' has a corrupt feature-file header");
        var meta = new byte[metaLength];
        stream.ReadExactly(meta);
        long offset = header.Length + metaLength;
        long expected = offset + rows * columns * sizeof(float);
        if (stream.Length != expected)
            throw new InvalidDataException($"'{path}' is truncated or corrupt: {stream.Length} bytes where its header promises " +
                $"{expected} " +
                $"({rows} x {columns} features); extract the features again");
        return new FeatureFile(System.IO.Path.GetFullPath(path), rows, (int)columns, Encoding.UTF8.GetString(meta), offset);
    }

    /// <summary>The given rows, all columns: n x columns float32.</summary>
    public Tensor ReadRows(IReadOnlyList<int> rows) => ReadBlock(rows, 0, Columns);

    /// <summary>Columns [first, first + count) of the given rows: n x count float32 (a contiguous run of each row is read).</summary>
    public Tensor ReadBlock(IReadOnlyList<int> rows, int first, int count)
    {
        if (first < 0 || count < 1 || first + count > Columns)
            throw new ArgumentException($"columns {first}..{first + count} are outside the {Columns} of '{Path}'");
        var values = new float[rows.Count * count];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        using var handle = File.OpenHandle(Path);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] < 0 || rows[i] >= Rows) throw new ArgumentException($"row {rows[i]} is outside the {Rows} of '{Path}'");
            long at = _dataOffset + ((long)rows[i] * Columns + first) * sizeof(float);
            var target = bytes.Slice(i * count * sizeof(float), count * sizeof(float));
            int read = 0;
            while (read < target.Length)
            {
                int r = RandomAccess.Read(handle, target[read..], at + read);
                if (r <= 0) throw new InvalidDataException($"'{Path}' ended early reading row {rows[i]}");
                read += r;
            }
        }
        return Tensor.FromArray(values, rows.Count, count);
    }
}
