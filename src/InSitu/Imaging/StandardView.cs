namespace InSitu.Imaging;

/// <summary>
/// A BDGP-style standard image cut out of a photo: the embryo's major axis turned horizontal (by the smallest angle;
/// which end is anterior is not decided), the extent of the embryo along and across it scaled to fill the whole output,
/// as the standardised BDGP images are, and white wherever the embryo is not. Each output pixel averages the photo over
/// its footprint (k x k bilinear samples), as an area-averaging resize does, so fine texture is not aliased.
/// </summary>
public static class StandardView
{
    /// <summary>Cuts the embryo <paramref name="inside"/> (a test at photo coordinates) out of HxWxC bytes; also gives the
    /// output's embryo mask.</summary>
    public static byte[] Cut(byte[] pixels, int width, int height, int channels, EmbryoAxis axis, Func<double, double, bool> inside,
        int outWidth, int outHeight, out bool[] outMask)
    {
        double ca = Math.Cos(axis.Angle), sa = Math.Sin(axis.Angle);
        double su = (axis.MaxU - axis.MinU + 1) / outWidth, sv = (axis.MaxV - axis.MinV + 1) / outHeight; // photo px per output px
        int ku = Math.Max(1, (int)Math.Ceiling(su)), kv = Math.Max(1, (int)Math.Ceiling(sv));
        var output = new byte[outWidth * outHeight * channels];
        outMask = new bool[outWidth * outHeight];
        for (int oy = 0; oy < outHeight; oy++)
            for (int ox = 0; ox < outWidth; ox++)
            {
                double u = axis.MinU - 0.5 + (ox + 0.5) * su, v = axis.MinV - 0.5 + (oy + 0.5) * sv;
                double x = axis.CentreX + u * ca - v * sa, y = axis.CentreY + u * sa + v * ca;
                int o = oy * outWidth + ox;
                bool embryo = inside(x, y);
                outMask[o] = embryo;
                for (int c = 0; c < channels; c++)
                {
                    if (!embryo)
                    {
                        output[o * channels + c] = 255;
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < kv; j++)
                        for (int i = 0; i < ku; i++)
                        {
                            double uu = u + ((i + 0.5) / ku - 0.5) * su, vv = v + ((j + 0.5) / kv - 0.5) * sv;
                            sum += Bilinear(pixels, width, height, channels, axis.CentreX + uu * ca - vv * sa,
                                axis.CentreY + uu * sa + vv * ca, c);
                        }
                    output[o * channels + c] = (byte)Math.Clamp((int)Math.Round(sum / (ku * kv)), 0, 255);
                }
            }
        return output;
    }

    private static double Bilinear(byte[] p, int width, int height, int channels, double x, double y, int c)
    {
        x = Math.Clamp(x, 0, width - 1.001);
        y = Math.Clamp(y, 0, height - 1.001);
        int x0 = (int)x, y0 = (int)y;
        double fx = x - x0, fy = y - y0;
        double V(int xx, int yy) => p[(yy * width + xx) * channels + c];
        double top = V(x0, y0) + fx * (V(x0 + 1, y0) - V(x0, y0)), bottom = V(x0, y0 + 1) + fx * (V(x0 + 1, y0 + 1) - V(x0, y0 + 1));
        return top + fy * (bottom - top);
    }
}
