using InSitu.Imaging;

namespace InSitu.Synthesis.Realism;

/// <summary>
/// A BDGP-style standard image made from a photo and the mask of its embryo (<see cref="StandardView"/>: major axis
/// horizontal, the embryo's extent scaled to fill 320x128, white outside the mask).
/// </summary>
public static class MaskedStandardView
{
    public static MaskedPicture Of(MaskedPicture photo, int width = 320, int height = 128)
    {
        var axis = EmbryoAxis.Of(photo.Embryo, photo.Width, photo.Height)
            ?? throw new ArgumentException($"the mask of '{photo.Name}' marks no embryo");
        bool Inside(double x, double y)
        {
            int ix = (int)Math.Round(x), iy = (int)Math.Round(y);
            return ix >= 0 && iy >= 0 && ix < photo.Width && iy < photo.Height && photo.Embryo[iy * photo.Width + ix];
        }
        var px = StandardView.Cut(photo.Picture.Pixels, photo.Width, photo.Height, 3, axis, Inside, width, height, out var mask);
        return new MaskedPicture(photo.Name, new Picture(px, width, height), mask);
    }
}
