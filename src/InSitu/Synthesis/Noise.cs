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

    /// <summary>Texels of <see cref="Fractal"/> per unit of x and y.</summary>
    public const int FractalResolution = 224;

    private const int TileSide = 1024;

    // each finer octave's amplitude falls by 2^-0.55: real DIC texture holds more fine grain than equal slopes would
    private const float FractalExponent = 0.55f;

    // Multi-octave noise is needed at every pixel of every embryo; summing octaves there costs several hashes each, a
    // lookup in one precomputed tile costs four reads. The tile (4.6 units square) wraps around; each embryo reads it
    // from its own offset.
    private static readonly Lazy<float[]> Tile = new(MakeTile);

    private static float[] MakeTile()
    {
        var tile = new float[TileSide * TileSide];
        for (int spacing = 16; spacing >= 2; spacing /= 2)
        {
            int period = TileSide / spacing;
            float amplitude = MathF.Pow(spacing / 16f, FractalExponent);
            for (int y = 0; y < TileSide; y++)
                for (int x = 0; x < TileSide; x++)
                {
                    float gx = (float)x / spacing, gy = (float)y / spacing;
                    int ix = (int)gx, iy = (int)gy;
                    float fx = gx - ix, fy = gy - iy;
                    fx = fx * fx * (3 - 2 * fx); fy = fy * fy * (3 - 2 * fy);
                    uint seed = 0xF00D + (uint)spacing;
                    float a = Unit(Hash(ix % period, iy % period, seed)), b = Unit(Hash((ix + 1) % period, iy % period, seed));
                    float c = Unit(Hash(ix % period, (iy + 1) % period, seed)), d = Unit(Hash((ix + 1) % period, (iy + 1) % period, seed));
                    tile[y * TileSide + x] += amplitude * (a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy - 0.5f);
                }
        }
        return tile;
    }

    /// <summary>
    /// Fractal noise: four octaves of value noise with lattice spacings 1/14 .. 1/112 unit, each finer octave 2^-0.55
    /// times as strong; the coarsest spans -0.5..0.5. Read from a tile that repeats every 4.6 units, shifted by
    /// <paramref name="seed"/>.
    /// </summary>
    public static float Fractal(float x, float y, uint seed)
    {
        var tile = Tile.Value;
        float u = x * FractalResolution + (seed & 0xFFFF), v = y * FractalResolution + (seed >> 16);
        int iu = (int)MathF.Floor(u), iv = (int)MathF.Floor(v);
        float fu = u - iu, fv = v - iv;
        int x0 = iu & (TileSide - 1), x1 = (iu + 1) & (TileSide - 1);
        int y0 = (iv & (TileSide - 1)) * TileSide, y1 = ((iv + 1) & (TileSide - 1)) * TileSide;
        float top = tile[y0 + x0] + fu * (tile[y0 + x1] - tile[y0 + x0]);
        float bottom = tile[y1 + x0] + fu * (tile[y1 + x1] - tile[y1 + x0]);
        return top + fv * (bottom - top);
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
