using InSitu.Data;
using InSitu.Reports;
using InSitu.Tests.Data;
using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Workflows.Segmentation;

/// <summary>The bad input, each refused with one message naming the file; and the held-out validation cells.</summary>
public class SegmentationDataTests : TempFolderTest
{
    private SegmentationData Prepare(IReadOnlyList<PatchPair> pairs, SegmentationConfig? config = null) =>
        SegmentationData.Prepare(pairs, null, config ?? TinyScenes.Config, null, new RunDirectory(Path.Combine(dir, "run")), 1);

    [Fact]
    public void ALabelImageOfAnotherSizeIsRefusedNamingBoth()
    {
        var (image, _, _) = TinyScenes.Write(dir, "a", 64, 1);
        var labels = Path.Combine(dir, "small.png");
        SourceTestData.WriteMask(labels, 60, 64, (y, x) => 1);
        var e = Assert.Throws<InvalidDataException>(() => Prepare([new PatchPair(image, labels)]));
        Assert.Contains($"label image '{labels}' is 64x60 but its image '{image}' is 64x64", e.Message);
    }

    [Fact]
    public void AClassOutOfRangeIsRefusedNamingThePixel()
    {
        var (image, _, _) = TinyScenes.Write(dir, "a", 64, 1);
        var labels = Path.Combine(dir, "l.png");
        SourceTestData.WriteMask(labels, 64, 64, (y, x) => y == 3 && x == 4 ? 7 : 255 - (x & 1) * 254);
        var e = Assert.Throws<InvalidDataException>(() => Prepare([new PatchPair(image, labels)], TinyScenes.Config with { Classes = 3 }));
        Assert.Contains($"'{labels}' has value 7 at x=4, y=3, outside the classes 0..2", e.Message);
    }

    [Fact]
    public void APatchLargerThanTheImageIsRefused()
    {
        var (image, truth, _) = TinyScenes.Write(dir, "a", 48, 1);
        var e = Assert.Throws<InvalidDataException>(() => Prepare([new PatchPair(image, truth)],
            TinyScenes.Config with { PatchSize = 64 }));
        Assert.Contains($"image '{image}' is 48x48, smaller than the 64x64 training patches", e.Message);
        var scaled = Assert.Throws<InvalidDataException>(() => Prepare([new PatchPair(image, truth)],
            TinyScenes.Config with { Scale = 0.5f }));
        Assert.Contains("(24x24 at scale 0.5)", scaled.Message);
    }

    [Fact]
    public void ALabelImageWithNoAnnotatedPixelIsRefused()
    {
        var (image, truth, _) = TinyScenes.Write(dir, "a", 64, 1);
        var (image2, _, _) = TinyScenes.Write(dir, "b", 64, 2);
        var empty = Path.Combine(dir, "empty.png");
        SourceTestData.WriteMask(empty, 64, 64, (y, x) => 255);
        var e = Assert.Throws<InvalidDataException>(() => Prepare([new PatchPair(image, truth), new PatchPair(image2, empty)]));
        Assert.Contains($"label image '{empty}' has no annotated pixel", e.Message);
    }

    [Fact]
    public void HeldOutCellsMoveFromTrainingToValidationLabels()
    {
        var (image, _, labels) = TinyScenes.Write(dir, "a", 128, 1);
        var strokes = TinyScenes.Strokes(dir, "strokes", labels, 128, 0.5);
        var data = Prepare([new PatchPair(image, strokes)], TinyScenes.Config with { ValidationShare = 0.25 });
        Assert.Equal(2, data.Classes);
        Assert.InRange(data.HeldOutCells, 2, 4); // a quarter of the (up to 16) annotated 32-pixel cells
        var original = LabelImage.Read(strokes, 2).Labels;
        var train = LabelImage.Read(data.Train[0].Mask!, 2).Labels;
        var val = LabelImage.Read(data.Validation[0].Mask!, 2).Labels;
        for (int i = 0; i < original.Length; i++)
        {
            Assert.False(train[i] != 255 && val[i] != 255, "a pixel is both training and validation");
            Assert.Equal(original[i], train[i] != 255 ? train[i] : val[i]);
        }
        // validation pixels fill whole 32-pixel cells: a cell is either all validation or has none
        for (int cell = 0; cell < 16; cell++)
        {
            int cy = cell / 4 * 32, cx = cell % 4 * 32;
            var pixels = Enumerable.Range(0, 32 * 32).Select(k => (cy + k / 32) * 128 + cx + k % 32).ToList();
            Assert.True(pixels.All(p => train[p] == 255) || pixels.All(p => val[p] == 255));
        }
        Assert.Equal(data.TrainPixels.Sum() + data.ValidationPixels.Sum(), original.Count(v => v != 255));
    }
}
