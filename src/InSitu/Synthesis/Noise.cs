using System.Runtime.CompilerServices;

namespace InSitu.Synthesis;

/// <summary>Hash-based noise: deterministic in (position, seed), independent of thread and drawing order.</summary>
internal static class Noise
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(int x, int y, uint seed)
    {
        uint h = seed ^ 0x9E3779B9u;
        h ^= (uint)x * 0x85EBCA6Bu; h = (h << 13) | (h >> 19); h *= 5;
        h ^= (uint)y * 0xC2B2AE35u; h = (h << 13) | (h >> 19); h *= 0x27D4EB2Fu;
        h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Unit(uint h) => (h >> 8) * (1f / 16777216f);

    /// <summary>Smooth value noise in [0, 1] with lattice spacing 1/frequency.</summary>
    public static float Value(float x, float y, float frequency, uint seed)
    {
        x *= frequency; y *= frequency;
        int ix = (int)MathF.Floor(x), iy = (int)MathF.Floor(y);
        float fx = x - ix, fy = y - iy;
        fx = fx * fx * (3 - 2 * fx); fy = fy * fy * (3 - 2 * fy);
        float a = Unit(Hash(ix, iy, seed)), b = Unit(Hash(ix + 1, iy, seed));
        float c = Unit(Hash(ix, iy + 1, seed)), d = Unit(Hash(ix + 1, iy + 1, seed));
        return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
    }

    /// <summary>
    /// Round cells on a jittered grid: 1 inside a cell, soft edge, 0 between cells. Each grid square holds at most
    /// one cell (present with probability <paramref name="density"/>), kept clear of the square's border.
    /// </summary>
    public static float Dots(float x, float y, float spacing, float radius, float density, uint seed)
    {
        float gx = x / spacing, gy = y / spacing;
        int ix = (int)MathF.Floor(gx), iy = (int)MathF.Floor(gy);
        uint h = Hash(ix, iy, seed);
        if (Unit(h) >= density) return 0;
        float cx = ix + 0.3f + 0.4f * Unit(Hash(ix, iy, seed + 1)), cy = iy + 0.3f + 0.4f * Unit(Hash(ix, iy, seed + 2));
        float dx = (gx - cx) * spacing, dy = (gy - cy) * spacing;
        float r2 = (dx * dx + dy * dy) / (radius * radius);
        return r2 >= 1 ? 0 : 1 - r2 * r2;
    }
}

/// <summary>A small seeded generator for per-image draws (xoshiro128**).</summary>
public sealed class SimRandom
{
    private uint _a, _b, _c, _d;

    public SimRandom(ulong seed)
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
