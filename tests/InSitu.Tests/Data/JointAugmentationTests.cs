using InSitu.Common;
using InSitu.Data;
using InSitu.Imaging;

namespace InSitu.Tests.Data;

/// <summary>Augmentations of patch and mask together: quarter turns, elastic deformation, intensity jitter.</summary>
public class JointAugmentationTests : TempFolderTest
{
    [Fact]
    public void FourQuarterTurnsAreTheIdentityAndOneTurnMovesCornersCounterClockwise()
    {
        var plane = Enumerable.Range(0, 2 * 9).Select(i => (float)i).ToArray(); // two 3x3 channels
        var once = JointAugmentation.Rotate(plane, 2, 3, 1);
        // counter-clockwise: the top-right corner (x=2, y=0) goes to the top-left
        Assert.Equal(plane[2], once[0]);
        Assert.Equal(plane[9 + 2], once[9]);
        var four = plane;
        for (int i = 0; i < 4; i++) four = JointAugmentation.Rotate(four, 2, 3, 1);
        Assert.Equal(plane, four);
    }

    [Fact]
    public void ElasticDeformationMovesImageAndLabelsAlike()
    {
        const int n = 48;
        // a label image of blocks, and an image whose value is the label: where the image is read between equal labels, both agree
        var labels = new long[n * n];
        var image = new float[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                image[y * n + x] = labels[y * n + x] = (x / 12 + 2 * (y / 12)) % 5;
        var field = ElasticDeformation.Random(n, n, alpha: 4, sigma: 6, new SeededRandom(7));
        double rms = Math.Sqrt(field.Dx.Zip(field.Dy).Average(d => d.First * d.First + d.Second * d.Second));
        Assert.Equal(4, rms, 2);
        var warped = ElasticDeformation.WarpImage(image, 1, field);
        ElasticDeformation.WarpLabels(labels, 0, field);
        int agree = Enumerable.Range(0, n * n).Count(i => MathF.Abs(warped[i] - labels[i]) < 1e-4f);
        Assert.True(agree > 0.85 * n * n, $"only {agree} of {n * n} pixels agree");
        Assert.True(labels.Distinct().All(v => v is >= 0 and < 5));
        Assert.NotEqual(image, warped);
    }

    [Theory]
    [InlineData(-1f, 5, 1f)]
    [InlineData(6f, 5, 2f)]
    [InlineData(13f, 5, 3f)]
    [InlineData(2.5f, 5, 2.5f)]
    public void CoordinatesMirrorAtTheBorder(float v, int n, float expected) => Assert.Equal(expected, ElasticDeformation.Mirror(v, n));

    [Fact]
    public void PatchSourceAugmentsPatchAndMaskTogetherAndKeepsTheIgnoreValue()
    {
        var image = Path.Combine(dir, "image.png");
        var mask = Path.Combine(dir, "mask.png");
        // pixel value = 40 * class, so an augmented patch's intensities must still follow its labels
        SourceTestData.WriteMask(mask, 64, 64, (y, x) => (x / 8 + y / 8) % 4 == 3 ? 255 : (x / 16 + y / 16) % 3);
        SourceTestData.WriteMask(image, 64, 64, (y, x) => (x / 16 + y / 16) % 3 * 40);
        var options = new LoaderOptions
        {
            Height = 32,
            Width = 32,
            Gray = true,
            Mean = [0f],
            Std = [1f],
            BatchSize = 8,
            Seed = 3,
            Augment = new AugmentOptions(true, true, 0, 0, 0, 0, 0),
        };
        var joint = new JointAugmentOptions(Rotate90: true, ElasticProbability: 1, ElasticAlpha: 2, ElasticSigma: 6, Gamma: 0, Contrast: 0,
            Brightness: 0);
        var source = new PatchBatchSource([new PatchPair(image, mask)], options, new PatchOptions { PatchesPerEpoch = 16, Joint = joint });
        int agree = 0, labelled = 0;
        bool sawIgnore = false;
        foreach (var batch in source.Epoch(0))
            using (batch)
            {
                var px = batch.Images.ToFloatArray();
                var m = batch.Masks!.ToLongArray();
                for (int i = 0; i < m.Length; i++)
                {
                    if (m[i] == 255)
                    {
                        sawIgnore = true;
                        continue;
                    }
                    Assert.InRange(m[i], 0, 2);
                    labelled++;
                    if (MathF.Abs(px[i] * 255 - 40 * m[i]) < 1) agree++;
                }
            }
        Assert.True(sawIgnore);
        Assert.True(agree > 0.85 * labelled, $"{agree} of {labelled} labelled pixels keep their label's intensity");
        var wide = options with { Width = 48 };
        var e = Assert.Throws<ArgumentException>(() => new PatchBatchSource([new PatchPair(image, mask)], wide,
            new PatchOptions { Joint = joint }));
        Assert.Contains("square", e.Message);
    }

    [Fact]
    public void IntensityJitterChangesTheImageOnly()
    {
        var image = Enumerable.Range(0, 16).Select(i => i / 16f).ToArray();
        var mask = Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray();
        var jitter = new JointAugmentOptions(false, 0, 0, 8, 0.3f, 0.3f, 0.2f);
        var result = JointAugmentation.Apply(image, mask, 0, 1, 4, 4, jitter, new SeededRandom(1));
        Assert.NotEqual(image, result);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (long)(i % 3)), mask);
        // a monotone change: the order of intensities is kept
        Assert.Equal(Enumerable.Range(0, 16), Enumerable.Range(0, 16).OrderBy(i => result[i]));
    }
}
