namespace InSitu.Imaging;

/// <summary>
/// An embryo's frame in a photo (full-resolution pixel coordinates): its centre of mass, the direction of its major
/// axis (second moments; radians, image y down, within +-90 degrees of horizontal, so that it is turned by the
/// smallest angle), its extent along (U) and across (V) that axis, and the ratio of the axes' standard deviations.
/// </summary>
public sealed record EmbryoAxis(double CentreX, double CentreY, double Angle, double MinU, double MaxU, double MinV, double MaxV,
    float Elongation)
{
    public float AngleDegrees => (float)(Angle * 180 / Math.PI);

    /// <summary>The frame of a mask drawn on a grid whose cells are <paramref name="cell"/> photo pixels wide (1: the photo's own
    /// pixels); null for an empty mask.</summary>
    public static EmbryoAxis? Of(bool[] mask, int width, int height, int cell = 1)
    {
        double n = 0, sx = 0, sy = 0;
        for (int i = 0; i < mask.Length; i++)
            if (mask[i]) { sx += i % width; sy += i / width; n++; }
        if (n == 0) return null;
        double mx = sx / n, my = sy / n, cxx = 0, cyy = 0, cxy = 0;
        for (int i = 0; i < mask.Length; i++)
            if (mask[i])
            {
                double dx = i % width - mx, dy = i / width - my;
                cxx += dx * dx; cyy += dy * dy; cxy += dx * dy;
            }
        double angle = 0.5 * Math.Atan2(2 * cxy, cxx - cyy), ca = Math.Cos(angle), sa = Math.Sin(angle);
        double tr = (cxx + cyy) / n, det = (cxx * cyy - cxy * cxy) / (n * n), root = Math.Sqrt(Math.Max(0, tr * tr / 4 - det));
        float elongation = (float)Math.Sqrt((tr / 2 + root) / Math.Max(tr / 2 - root, 1e-9));
        double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
        for (int i = 0; i < mask.Length; i++)
            if (mask[i])
            {
                double dx = i % width - mx, dy = i / width - my, u = dx * ca + dy * sa, v = -dx * sa + dy * ca;
                minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
            }
        // a grid cell covers photo pixels [cell * x, cell * (x + 1)): its centre lies at cell * (x + 0.5) - 0.5, and the
        // extent reaches half a cell beyond the outermost cells' centres
        double half = (cell - 1) / 2.0;
        return new EmbryoAxis(cell * mx + half, cell * my + half, angle, cell * minU - half, cell * maxU + half, cell * minV - half,
            cell * maxV + half, elongation);
    }
}
