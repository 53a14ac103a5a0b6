using System.Globalization;
using InSitu.Imaging;

namespace InSitu.Reports;

/// <summary>A confusion matrix as a picture: rows = true class, columns = predicted, darker blue = larger share of the row.</summary>
public static class ConfusionImage
{
    public static (byte[] pixels, int width, int height) Render(int[][] confusion, IReadOnlyList<int> classNames, int cell = 24)
    {
        int n = confusion.Length, margin = 28;
        int width = margin + n * cell + 2, height = margin + n * cell + 2;
        var px = Enumerable.Repeat((byte)255, width * height * 3).ToArray();
        for (int r = 0; r < n; r++)
        {
            double total = Math.Max(1, confusion[r].Sum());
            for (int c = 0; c < n; c++)
            {
                double share = confusion[r][c] / total;
                byte red = (byte)(255 - 220 * share), green = (byte)(255 - 180 * share), blue = (byte)(255 - 40 * share);
                for (int y = 1; y < cell; y++)
                    for (int x = 1; x < cell; x++)
                    {
                        int i = ((margin + r * cell + y) * width + margin + c * cell + x) * 3;
                        (px[i], px[i + 1], px[i + 2]) = (red, green, blue);
                    }
                if (confusion[r][c] > 0)
                {
                    var text = confusion[r][c].ToString(CultureInfo.InvariantCulture);
                    PixelFont.Draw(px, width, margin + c * cell + (cell - PixelFont.TextWidth(text, 1)) / 2,
                        margin + r * cell + cell / 2 - 2, text, 1,
                        share > 0.5 ? (byte)255 : (byte)0);
                }
            }
            var label = classNames[r].ToString(CultureInfo.InvariantCulture);
            PixelFont.Draw(px, width, margin - 4 - PixelFont.TextWidth(label, 2), margin + r * cell + cell / 2 - 5, label, 2);
            PixelFont.Draw(px, width, margin + r * cell + (cell - PixelFont.TextWidth(label, 2)) / 2, 6, label, 2);
        }
        return (px, width, height);
    }
}
