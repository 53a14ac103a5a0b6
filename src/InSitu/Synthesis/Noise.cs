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
