using System.Globalization;
using InSitu.Common;

namespace InSitu.Synthesis;

/// <summary>A picture of the simulator: examples of every stage 1..17 in rows, each row labelled with its stage number.</summary>
public static class StageGrid
{
    /// <summary>HxWx3 bytes: <paramref name="perStage"/> examples per stage at half size, stages 1-9 left, 10-17 right.</summary>
    public static (byte[] pixels, int width, int height) Render(BdgpLabelTables tables, int perStage = 3, int seed = 1)
    {
        var options = new SynthOptions(1, seed);
        int cw = options.Width / 2, ch = options.Height / 2, label = 28, gap = 4;
        int panelWidth = label + perStage * (cw + gap);
        int width = 2 * panelWidth + 12, height = 9 * (ch + gap);
        var pixels = Enumerable.Repeat((byte)255, width * height * 3).ToArray();
        var random = new SeededRandom((ulong)seed * 977 + 5);
        for (int stage = 1; stage <= 17; stage++)
        {
            int range = Data.StageRanges.Of(stage);
            var bags = tables.Bags.Where(b => b.Range == range && b.Terms.Count > 0).ToList();
            int panel = stage <= 9 ? 0 : 1, row = stage <= 9 ? stage - 1 : stage - 10;
            int ox = panel * (panelWidth + 12), oy = row * (ch + gap);
            Imaging.PixelFont.Draw(pixels, width, ox + 2, oy + ch / 2 - 5, stage.ToString(CultureInfo.InvariantCulture), 2);
            for (int k = 0; k < perStage; k++)
            {
                var bag = bags[random.Int(bags.Count)];
                var image = new SynthImage(0, bag, stage + random.Uniform(0.1f, 0.9f), random.Fork());
                var full = DatasetSimulator.RenderStandard(image, options);
                int x0 = ox + label + k * (cw + gap);
                for (int y = 0; y < ch; y++)
                    for (int x = 0; x < cw; x++)
                        for (int c = 0; c < 3; c++)
                        {
                            // 2x2 box downsampling
                            int s = full[((2 * y) * options.Width + 2 * x) * 3 + c] + full[((2 * y) * options.Width + 2 * x + 1) * 3 + c]
                                  + full[((2 * y + 1) * options.Width + 2 * x) * 3 + c] +
                                      full[((2 * y + 1) * options.Width + 2 * x + 1) * 3 + c];
                            pixels[((oy + y) * width + x0 + x) * 3 + c] = (byte)((s + 2) / 4);
                        }
            }
        }
        return (pixels, width, height);
    }
}
