namespace InSitu.Imaging;

/// <summary>
/// Bilinear resizing of an image that arrives one row at a time (planes of W floats per row, plane p at p x W), as
/// OpenCV's INTER_LINEAR maps pixel centres: a target row is handed on as soon as the two source rows it lies between
/// have arrived, so a streamed map can be brought back to its image's size without ever being whole in memory.
/// </summary>
public sealed class RowResampler
{
    private readonly int _srcHeight, _srcWidth, _dstHeight, _dstWidth, _planes;
    private readonly Action<int, float[]> _sink;
    private readonly int[] _x0, _x1;
    private readonly float[] _fx;
    private readonly float[] _out;
    private float[] _previous, _current;
    private int _next, _received;

    public RowResampler(int srcHeight, int srcWidth, int dstHeight, int dstWidth, int planes, Action<int, float[]> sink)
    {
        if (srcHeight < 1 || srcWidth < 1 || dstHeight < 1 || dstWidth < 1 || planes < 1)
            throw new ArgumentException("resampling needs positive sizes");
        (_srcHeight, _srcWidth, _dstHeight, _dstWidth, _planes, _sink) = (srcHeight, srcWidth, dstHeight, dstWidth, planes, sink);
        (_x0, _x1, _fx) = (new int[dstWidth], new int[dstWidth], new float[dstWidth]);
        for (int x = 0; x < dstWidth; x++) (_x0[x], _x1[x], _fx[x]) = Source(x, srcWidth, dstWidth);
        _out = new float[planes * dstWidth];
        _previous = new float[planes * srcWidth];
        _current = new float[planes * srcWidth];
    }

    /// <summary>Source pixels i0, i1 = i0 + 1 (clamped) and the weight of i1 for target pixel <paramref name="i"/>.</summary>
    private static (int, int, float) Source(int i, int src, int dst)
    {
        double s = Math.Clamp((i + 0.5) * src / dst - 0.5, 0, src - 1);
        int i0 = (int)s;
        return (i0, Math.Min(i0 + 1, src - 1), (float)(s - i0));
    }

    /// <summary>Source row <paramref name="y"/> (rows must come in order 0, 1, 2, ...).</summary>
    public void Push(int y, float[] values)
    {
        if (y != _received) throw new InvalidOperationException($"row {y} came after row {_received - 1}");
        (_previous, _current) = (_current, _previous);
        Array.Copy(values, _current, _planes * _srcWidth);
        _received++;
        while (_next < _dstHeight)
        {
            var (y0, y1, fy) = Source(_next, _srcHeight, _dstHeight);
            if (y1 > y) break;
            // y1 is this row, and y0 either this row or the one before
            var top = y0 == y ? _current : _previous;
            for (int p = 0; p < _planes; p++)
            {
                int s = p * _srcWidth, d = p * _dstWidth;
                for (int x = 0; x < _dstWidth; x++)
                {
                    float a = top[s + _x0[x]] + _fx[x] * (top[s + _x1[x]] - top[s + _x0[x]]);
                    float b = _current[s + _x0[x]] + _fx[x] * (_current[s + _x1[x]] - _current[s + _x0[x]]);
                    _out[d + x] = a + fy * (b - a);
                }
            }
            _sink(_next++, _out);
        }
    }
}
