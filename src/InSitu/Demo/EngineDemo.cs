using System.Globalization;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Demo;

/// <summary>
/// End-to-end run of the engine: generate toy embryo images as PNG files, read them back through OpenCV, train
/// the paper's ResNet on them, evaluate on held-out images and write a run directory with a report.
/// </summary>
public sealed class EngineDemo
{
    public sealed record Options(string OutDir, int TrainPerClass = 80, int ValPerClass = 20, int Height = 64, int Width = 160,
        int BaseWidth = 8, int Seed = 1, bool Resume = false, TrainingConfig? Training = null);

    public sealed record Result(string RunDir, double ValidationAccuracy, List<EpochMetrics> History, int[,] Confusion);

    public Action<string>? Log { get; set; }
    public Action<int, int, int, double, double>? OnBatch { get; set; }

    public Result Run(Options o)
    {
        var training = o.Training ?? new TrainingConfig { Seed = o.Seed };
        var run = new RunDirectory(o.OutDir);
        run.WriteJson("config.json", new { command = "demo", options = o with { Training = null }, training });
        TorchRuntime.ManualSeed((ulong)o.Seed);
        var rng = new Random(o.Seed);
        var images = run.Subfolder("images");
        var manifest = new List<(string path, int label, string split)>();
        Log?.Invoke($"writing {ToyEmbryos.ClassNames.Length * (o.TrainPerClass + o.ValPerClass)} images to {images}");
        for (int c = 0; c < ToyEmbryos.ClassNames.Length; c++)
            for (int i = 0; i < o.TrainPerClass + o.ValPerClass; i++)
            {
                using var img = ToyEmbryos.Render(c, o.Height, o.Width, rng);
                var path = Path.Combine(images, $"{ToyEmbryos.ClassNames[c]}_{i:D3}.png");
                ImageIO.Write(path, img);
                manifest.Add((path, c, i < o.TrainPerClass ? "train" : "val"));
            }
        run.WriteText("manifest.csv", "path,label,split\n" + string.Join("\n", manifest.Select(m => $"{Path.GetRelativePath(run.Path, m.path)},{ToyEmbryos.ClassNames[m.label]},{m.split}")) + "\n");

        using var scope = TorchRuntime.NewDisposeScope();
        (Tensor x, Tensor y) Load(string split)
        {
            var rows = manifest.Where(m => m.split == split).ToList();
            var xs = rows.Select(r => ImageIO.ToChw(ImageIO.Read(r.path, ImageMode.Gray))).ToList();
            // Normalise with fixed statistics of light-background ISH images (no peeking at validation data).
            var x = Tensor.Stack(xs).Sub(0.75).Div(0.15);
            return (x, Tensor.FromArray(rows.Select(r => (long)r.label).ToArray()));
        }
        var (trainX, trainY) = Load("train");
        var (valX, valY) = Load("val");

        using var model = new ResNet(ResNetConfig.Paper(1, ToyEmbryos.ClassNames.Length, o.Height, o.Width, o.BaseWidth));
        Log?.Invoke($"training the paper's 4-block ResNet ({model.ParameterCount():N0} parameters) on {trainX.Size(0)} images, {TorchRuntime.Threads} threads");
        var trainer = new ClassifierTrainer(model, training, run) { OnBatch = OnBatch };
        var history = trainer.Fit(trainX, trainY, valX, valY, o.Resume);
        model.Save(run.File("model.pt"));

        var predicted = ClassifierTrainer.Predict(model, valX, training.BatchSize);
        var truth = valY.ToLongArray();
        int k = ToyEmbryos.ClassNames.Length;
        var confusion = new int[k, k];
        for (int i = 0; i < truth.Length; i++) confusion[truth[i], predicted[i]]++;
        double acc = truth.Where((t, i) => t == predicted[i]).Count() / (double)truth.Length;
        run.WriteJson("metrics.json", new { validation_accuracy = acc, epochs = history, confusion = ToRows(confusion), classes = ToyEmbryos.ClassNames });

        var report = new HtmlReport("InSitu engine demo");
        report.Paragraph($"A {model.Config.StageWidths.Length}-block residual network (METHODS.md §1) trained on {trainX.Size(0)} generated " +
                $"toy-embryo images ({o.Height}x{o.Width}, gray), classes = position of the stain domain. Validation accuracy on " +
                $"{truth.Length} held-out images: {acc:P1}. These images are a simple stand-in, not BDGP data.")
            .Image("images/" + Path.GetFileName(manifest.First(m => m.label == 0).path), "anterior")
            .Image("images/" + Path.GetFileName(manifest.First(m => m.label == 1).path), "central")
            .Image("images/" + Path.GetFileName(manifest.First(m => m.label == 2).path), "posterior")
            .LinePlot("Training loss per epoch", "epoch", new[] { ("train loss", (IReadOnlyList<double>)history.Select(h => h.TrainLoss).ToList()) })
            .LinePlot("Accuracy per epoch", "epoch", new[]
            {
                ("train", (IReadOnlyList<double>)history.Select(h => h.TrainAccuracy).ToList()),
                ("validation", history.Select(h => h.ValidationAccuracy).ToList()),
            })
            .Heading("Confusion matrix (rows: true, columns: predicted)")
            .Table(new[] { "" }.Concat(ToyEmbryos.ClassNames).ToList(),
                Enumerable.Range(0, k).Select(r => (IReadOnlyList<string>)new[] { ToyEmbryos.ClassNames[r] }
                    .Concat(Enumerable.Range(0, k).Select(c => confusion[r, c].ToString(CultureInfo.InvariantCulture))).ToList()))
            .Heading("Epochs")
            .Table(new[] { "epoch", "train loss", "train acc", "val acc", "images/s", "lr" },
                history.Select(h => (IReadOnlyList<string>)new[]
                {
                    h.Epoch.ToString(CultureInfo.InvariantCulture), h.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                    h.TrainAccuracy.ToString("P1", CultureInfo.InvariantCulture), h.ValidationAccuracy.ToString("P1", CultureInfo.InvariantCulture),
                    h.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture), h.LearningRate.ToString("G3", CultureInfo.InvariantCulture),
                }))
            .Save(run);
        return new Result(run.Path, acc, history, confusion);
    }

    private static int[][] ToRows(int[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
}
