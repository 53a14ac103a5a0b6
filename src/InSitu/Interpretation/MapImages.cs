using System.Globalization;
using InSitu.Imaging;
using InSitu.Reports;

namespace InSitu.Interpretation;

/// <summary>Maps as pictures: grey, colour-mapped, overlaid on the image, GEM panels with a legend, labelled grids.</summary>
public static class MapImages
{
    // a perceptually ordered dark-blue -> teal -> yellow ramp (viridis-like control points)
    private static readonly float[][] Ramp =
    {
        new[] { 68f, 1, 84 }, new[] { 59f, 82, 139 }, new[] { 33f, 145, 140 }, new[] { 94f, 201, 98 }, new[] { 253f, 231, 37 },
    };

    public static (byte r, byte g, byte b) Colour(float v)
    {
        v = Math.Clamp(v, 0, 1) * (Ramp.Length - 1);
        int i = Math.Min((int)v, Ramp.Length - 2);
        float f = v - i;
        byte C(int c) => (byte)(Ramp[i][c] + f * (Ramp[i + 1][c] - Ramp[i][c]));
        return (C(0), C(1), C(2));
    }

    /// <summary>A 0..1 map as grey (white = 1).</summary>
    public static Picture Gray(float[] map, int width, int height)
    {
        var p = new byte[width * height * 3];
        for (int i = 0; i < map.Length; i++) p[i * 3] = p[i * 3 + 1] = p[i * 3 + 2] = (byte)(255 * Math.Clamp(map[i], 0, 1));
        return new Picture(p, width, height);
    }

    /// <summary>A 0..1 map colour-mapped, scaled so that <paramref name="max"/> is the top of the ramp.</summary>
    public static Picture Coloured(float[] map, int width, int height, float max = 1)
    {
        var p = new byte[width * height * 3];
        for (int i = 0; i < map.Length; i++) (p[i * 3], p[i * 3 + 1], p[i * 3 + 2]) = Colour(map[i] / Math.Max(max, 1e-6f));
        return new Picture(p, width, height);
    }

    /// <summary>The map over the image: the image greyed, the map's colour blended in where the map is high.</summary>
    public static Picture Overlay(Picture image, float[] map)
    {
        var p = new byte[image.Pixels.Length];
        for (int i = 0; i < map.Length; i++)
        {
            float v = Math.Clamp(map[i], 0, 1), a = 0.75f * MathF.Sqrt(v);
            var (r, g, b) = Colour(v);
            float grey = (image.Pixels[i * 3] + image.Pixels[i * 3 + 1] + image.Pixels[i * 3 + 2]) / 3f;
            p[i * 3] = (byte)(grey * (1 - a) + r * a);
            p[i * 3 + 1] = (byte)(grey * (1 - a) + g * a);
            p[i * 3 + 2] = (byte)(grey * (1 - a) + b * a);
        }
        return new Picture(p, image.Width, image.Height);
    }

    /// <summary>A colour bar from 0 to <paramref name="maxPercent"/>% (the legend of GEMs: share of genes active).</summary>
    public static Picture Legend(int height, int maxPercent)
    {
        int w = 60;
        var p = Picture.Blank(w, height);
        for (int y = 6; y < height - 6; y++)
        {
            var (r, g, b) = Colour(1 - (y - 6f) / (height - 13));
            for (int x = 4; x < 18; x++)
                (p.Pixels[(y * w + x) * 3], p.Pixels[(y * w + x) * 3 + 1], p.Pixels[(y * w + x) * 3 + 2]) = (r, g, b);
        }
        PixelFont.Draw(p.Pixels, w, 22, 4, maxPercent.ToString(CultureInfo.InvariantCulture), 2);
        PixelFont.Draw(p.Pixels, w, 22, height - 14, "0", 2);
        return p;
    }

    /// <summary>Rows of pictures, each row labelled on the left with a number (a stage).</summary>
    public static Picture Grid(IReadOnlyList<(int label, IReadOnlyList<Picture> row)> rows, int gap = 4)
    {
        int cellW = rows.SelectMany(r => r.row).Max(p => p.Width), cellH = rows.SelectMany(r => r.row).Max(p => p.Height);
        int columns = rows.Max(r => r.row.Count), label = 30;
        var grid = Picture.Blank(label + columns * (cellW + gap), rows.Count * (cellH + gap));
        for (int r = 0; r < rows.Count; r++)
        {
            PixelFont.Draw(grid.Pixels, grid.Width, 2, r * (cellH + gap) + cellH / 2 - 5,
                rows[r].label.ToString(CultureInfo.InvariantCulture), 2);
            for (int c = 0; c < rows[r].row.Count; c++) grid.Paste(rows[r].row[c], label + c * (cellW + gap), r * (cellH + gap));
        }
        return grid;
    }
}
