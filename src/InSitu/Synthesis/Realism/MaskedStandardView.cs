using InSitu.Imaging;

namespace InSitu.Synthesis.Realism;

/// <summary>
/// A BDGP-style standard image made from a photo and the mask of its embryo: the mask's major axis (second moments)
/// is turned horizontal, the embryo's bounding box along and across that axis is scaled to fill the whole output
/// (320x128), and everything outside the mask is white, as in the standardised BDGP images. Which end is anterior
/// is not decided. Each output pixel averages the photo over its footprint (k x k bilinear samples), as an
/// area-averaging resize does, so the photo's fine texture is not aliased.
/// </summary>
public static class MaskedStandardView
{
    public static MaskedPicture Of(MaskedPicture photo, int width = 320, int height = 128)
    {
        int w = photo.Width;
        double n = 0, mx = 0, my = 0;
        for (int i = 0; i < photo.Embryo.Length; i++)
            if (photo.Embryo[i]) { mx += i % w; my += i / w; n++; }
        mx /= n; my /= n;
        double cxx = 0, cyy = 0, cxy = 0;
        for (int i = 0; i < photo.Embryo.Length; i++)
            if (photo.Embryo[i])
            {
                double dx = i % w - mx, dy = i / w - my;
                cxx += dx * dx; cyy += dy * dy; cxy += dx * dy;
            }
        double angle = 0.5 * Math.Atan2(2 * cxy, cxx - cyy), ca = Math.Cos(angle), sa = Math.Sin(angle);
        double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
        for (int i = 0; i < photo.Embryo.Length; i++)
            if (photo.Embryo[i])
            {
                double dx = i % w - mx, dy = i / w - my, u = dx * ca + dy * sa, v = -dx * sa + dy * ca;
                minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
            }
        double su = (maxU - minU + 1) / width, sv = (maxV - minV + 1) / height; // photo pixels per output pixel
        int ku = Math.Max(1, (int)Math.Ceiling(su)), kv = Math.Max(1, (int)Math.Ceiling(sv));
        var px = new byte[width * height * 3];
        var mask = new bool[width * height];
        for (int oy = 0; oy < height; oy++)
            for (int ox = 0; ox < width; ox++)
            {
                double u = minU - 0.5 + (ox + 0.5) * su, v = minV - 0.5 + (oy + 0.5) * sv;
                double x = mx + u * ca - v * sa, y = my + u * sa + v * ca;
                int o = oy * width + ox;
                int ix = (int)Math.Round(x), iy = (int)Math.Round(y);
                bool inside = ix >= 0 && iy >= 0 && ix < w && iy < photo.Height && photo.Embryo[iy * w + ix];
                mask[o] = inside;
                for (int c = 0; c < 3; c++)
                    px[3 * o + c] = inside ? Footprint(photo.Picture, u, v, su, sv, ku, kv, mx, my, ca, sa, c) : (byte)255;
            }
        return new MaskedPicture(photo.Name, new Picture(px, width, height), mask);
    }

    private static byte Footprint(Picture p, double u, double v, double su, double sv, int ku, int kv, double mx, double my, double ca,
        double sa, int c)
    {
        double sum = 0;
        for (int j = 0; j < kv; j++)
            for (int i = 0; i < ku; i++)
            {
                double uu = u + ((i + 0.5) / ku - 0.5) * su, vv = v + ((j + 0.5) / kv - 0.5) * sv;
                sum += Bilinear(p, mx + uu * ca - vv * sa, my + uu * sa + vv * ca, c);
            }
        return (byte)Math.Clamp((int)Math.Round(sum / (ku * kv)), 0, 255);
    }

    private static double Bilinear(Picture p, double x, double y, int c)
    {
        x = Math.Clamp(x, 0, p.Width - 1.001); y = Math.Clamp(y, 0, p.Height - 1.001);
        int x0 = (int)x, y0 = (int)y;
        double fx = x - x0, fy = y - y0;
        double V(int xx, int yy) => p.Pixels[(yy * p.Width + xx) * 3 + c];
        double top = V(x0, y0) + fx * (V(x0 + 1, y0) - V(x0, y0)), bottom = V(x0, y0 + 1) + fx * (V(x0 + 1, y0 + 1) - V(x0, y0 + 1));
        return top + fy * (bottom - top);
    }
}
