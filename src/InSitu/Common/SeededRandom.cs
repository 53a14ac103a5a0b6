namespace InSitu.Common;

/// <summary>A small seeded generator for per-image draws (xoshiro128**).</summary>
public sealed class SeededRandom
{
    private uint _a, _b, _c, _d;

    public SeededRandom(ulong seed)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL;
        uint Next()
        {
            z += 0x9E3779B97F4A7C15UL;
            ulong v = z;
            v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9UL;
            v = (v ^ (v >> 27)) * 0x94D049BB133111EBUL;
            return (uint)(v ^ (v >> 31));
        }
        _a = Next(); _b = Next(); _c = Next(); _d = Next() | 1;
    }

    public uint NextUInt()
    {
        uint result = ((_b * 5) << 7 | (_b * 5) >> 25) * 9;
        uint t = _b << 9;
        _c ^= _a; _d ^= _b; _b ^= _c; _a ^= _d; _c ^= t;
        _d = (_d << 11) | (_d >> 21);
        return result;
    }

    public float Uniform() => (NextUInt() >> 8) * (1f / 16777216f);
    public float Uniform(float lo, float hi) => lo + (hi - lo) * Uniform();
    public int Int(int n) => (int)((ulong)NextUInt() * (ulong)n >> 32);
    public bool Chance(float p) => Uniform() < p;

    public float Normal()
    {
        float u = MathF.Max(Uniform(), 1e-7f), v = Uniform();
        return MathF.Sqrt(-2 * MathF.Log(u)) * MathF.Cos(2 * MathF.PI * v);
    }

    /// <summary>A seed for a child stream, so parts of one image draw independently of each other.</summary>
    public ulong Fork() => ((ulong)NextUInt() << 32) | NextUInt();
}
