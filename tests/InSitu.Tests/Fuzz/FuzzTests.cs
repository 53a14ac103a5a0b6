using System.Globalization;
using System.Text;
using InSitu.Data;
using InSitu.Models;
using InSitu.Workflows.Stages;
using Xunit.Abstractions;

namespace InSitu.Tests.Fuzz;

/// <summary>
/// Generated bad inputs of every failure class (manifests, images, configs, model.json, command lines) run through
/// the real `insitu` command line: none may crash, hang or be silently accepted. The seed and the number of cases per
/// class are fixed here; `make fuzz` raises the count and draws the seed (INSITU_FUZZ_CASES, INSITU_FUZZ_SEED).
/// </summary>
[Trait("Category", "Fuzz")]
public class FuzzTests(ITestOutputHelper output) : TempFolderTest
{
    private const int Height = 32, Width = 80;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // string.GetHashCode is randomised per process; the class name is folded in by hand so a seed replays exactly
    private static Random NewRandom(string cls) => new(FuzzHarness.Seed ^ cls.Aggregate(17, (h, c) => unchecked(h * 31 + c)) ^ 0x5f3759df);

    private static readonly StageConfig TinyConfig = StageConfig.Demo with { BaseWidth = 4 };

    private static void WritePng(string path, int height, int width, int channels = 1, byte level = 90)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var px = new byte[height * width * channels];
        for (int k = 0; k < px.Length; k++) px[k] = (byte)(level + k % 13);
        using var t = channels == 1 ? Tensor.FromArray(px, height, width) : Tensor.FromArray(px, height, width, channels);
        ImageIO.Write(path, t);
    }

    /// <summary>A stage model of the tiny config (untrained weights are enough to be loaded and run).</summary>
    private string GoodModel()
    {
        var run = Path.Combine(dir, "model");
        if (File.Exists(Path.Combine(run, "model.json"))) return run;
        Directory.CreateDirectory(run);
        TorchRuntime.ManualSeed(1);
        using var net = new ResNet(TinyConfig.Network(PreciseStage.Count));
        StageModelInfo.Save(run, "model", StageMethods.Plain, TinyConfig, net);
        return run;
    }

    /// <summary>Four good images of stages 4..7 and their manifest (all test split).</summary>
    private string GoodManifest()
    {
        var file = Path.Combine(dir, "good", "manifest.csv");
        if (File.Exists(file)) return file;
        var lines = new List<string> { "path,stage,split" };
        for (int s = 4; s < 8; s++)
        {
            WritePng(Path.Combine(dir, "good", "images", $"s{s}.png"), Height, Width, level: (byte)(40 + 20 * s));
            lines.Add($"images/s{s}.png,{s},test");
        }
        File.WriteAllLines(file, lines);
        return file;
    }

    private string CaseFolder(string cls, int i) => Directory.CreateDirectory(Path.Combine(dir, cls, $"case-{i:D3}")).FullName;

    // ---- manifests ----

    [Fact]
    public void BadManifests()
    {
        var random = NewRandom("manifest");
        var model = GoodModel();
        var good = Path.Combine(GoodManifest(), "..", "images", "s4.png");
        var cases = new List<FuzzCase>();
        for (int i = 0; i < FuzzHarness.Cases(14); i++)
        {
            var folder = CaseFolder("manifest", i);
            var file = Path.Combine(folder, "m.csv");
            File.Copy(good, Path.Combine(folder, "x.png"));
            FuzzCase Stats(string name, string text)
            {
                File.WriteAllText(file, text);
                return new("manifest", name, new[] { "data", "stats", file }, Expect.Refused, new[] { file });
            }
            int kind = i < 14 ? i : random.Next(14);
            cases.Add(kind switch
            {
                0 => Stats("unknown column", $"path,stage,{random.Pick(new[] { "stag", "labels", "pth", "x", "ränge" })}\nx.png,5,1\n"),
                1 => Stats("duplicate column", $"path,stage,{random.Pick(new[] { "Stage", " stage", "STAGE ", "stage" })}\nx.png,5,5\n"),
                2 => Stats("bad stage",
                    $"path,stage\nx.png,{random.Pick(new[] { "0", "18", "-3", "5.5", "x", "1e3", "99999999999", "٥" })}\n"),
                3 => Stats("bad range", $"path,range\nx.png,{random.Pick(new[] { "0", "7", "-1", "two", "3.0", "2;3" })}\n"),
                4 => StageOutsideRange(random, Stats),
                5 => Stats("one image spelled twice",
                    $"path,stage\nx.png,5\n" +
                    $"{random.Pick(new[] { "./x.png", "sub/../x.png", ".//x.png", "x.png/", Path.Combine(folder, "x.png") })},9\n"),
                6 => Stats("empty file", ""),
                7 => Garbage(random, file, folder),
                8 => Stats("huge line", "path,stage\n" + new string(',', 1 << 20) + "x.png,5\n"),
                9 => Stats("unterminated quote", "path,stage\nx.png,\"5\n" + new string('y', 1 << 16) + "\n"),
                10 => Stats("fields missing", $"path,stage,range\nx.png,{random.Next(4, 18)}\n"),
                11 => Stats("bad split or view", random.Next(2) == 0 ? "path,split\nx.png,training\n" : "path,view\nx.png,sideways\n"),
                12 => Stats("control characters in a path", $"path,stage\nx\0y.png,5\n"),
                _ => MissingImage(file, model),
            });
        }
        FuzzHarness.RunAll("manifest", cases, dir, output);
    }

    private static FuzzCase StageOutsideRange(Random random, Func<string, string, FuzzCase> stats)
    {
        int stage = random.Next(1, 18), range = random.Next(1, 7);
        if (StageRanges.Of(stage) == range) range = range % 6 + 1;
        return stats("stage outside its range", $"path,stage,range\nx.png,{stage},{range}\n");
    }

    private static FuzzCase Garbage(Random random, string file, string folder)
    {
        var bytes = FuzzHarness.Garbage(random, random.Next(1, 5000));
        File.WriteAllBytes(file, bytes);
        return new("manifest", "binary garbage", new[] { "data", "stats", file }, Expect.Refused, new[] { file });
    }

    private static FuzzCase MissingImage(string file, string model)
    {
        File.WriteAllText(file, "path,stage\nx.png,5\nnowhere.png,6\n");
        return new("manifest", "missing image", new[] { "stage", "evaluate", model, file }, Expect.Refused, new[] { "nowhere.png" });
    }

    // ---- images ----

    [Fact]
    public void BadImages()
    {
        var random = NewRandom("image");
        var model = GoodModel();
        var goodImage = Path.Combine(GoodManifest(), "..", "images", "s4.png");
        var cases = new List<FuzzCase>();
        for (int i = 0; i < FuzzHarness.Cases(16); i++)
        {
            var folder = CaseFolder("image", i);
            var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
            File.Copy(goodImage, Path.Combine(images, "good.png"));
            int kind = i < 16 ? i : random.Next(16);
            var (name, file, valid) = WriteImage(random, kind, images);
            var bad = Path.GetFileName(file);
            var outCsv = Path.Combine(folder, "out.csv");
            if (valid)
            {
                // an unusual but valid image is predicted like any other
                cases.Add(new("image", name, new[] { "stage", "predict", model, images, "--out", outCsv, "--strict" }, Expect.Either,
                    new[] { bad }, () => Lists(outCsv, bad) ? null : $"{bad} is missing from {outCsv}"));
            }
            else if (random.Next(2) == 0)
            {
                // a batch command skips it, lists it with a reason, and --strict fails
                var failures = FailureReport.PathBeside(outCsv);
                cases.Add(new("image", name, new[] { "stage", "predict", model, images, "--out", outCsv, "--strict" }, Expect.Refused,
                    new[] { "--strict" }, () => Lists(failures, bad) ? null : $"{bad} is not listed in {failures}"));
            }
            else
            {
                // evaluating on it is refused, naming it
                var manifest = Path.Combine(folder, "m.csv");
                File.WriteAllText(manifest, $"path,stage\nimages/good.png,5\nimages/{bad},6\n");
                cases.Add(new("image", name, new[] { "stage", "evaluate", model, manifest }, Expect.Refused, new[] { bad }));
            }
        }
        FuzzHarness.RunAll("image", cases, dir, output);
    }

    private static bool Lists(string csv, string name) =>
        File.Exists(csv) && File.ReadAllText(csv).Contains(name, StringComparison.Ordinal);

    /// <summary>Writes one image of the given kind; valid says whether a reader must accept it.</summary>
    private static (string name, string file, bool valid) WriteImage(Random random, int kind, string folder)
    {
        string P(string f) => Path.Combine(folder, f);
        switch (kind)
        {
            case 0:
                File.WriteAllBytes(P("empty.png"), Array.Empty<byte>());
                return ("empty", P("empty.png"), false);
            case 1:
                {
                    WritePng(P("whole.png"), Height, Width);
                    var bytes = File.ReadAllBytes(P("whole.png"));
                    File.Delete(P("whole.png"));
                    File.WriteAllBytes(P("truncated.png"), bytes[..random.Next(1, bytes.Length - 12)]);
                    return ("truncated", P("truncated.png"), false);
                }
            case 2:
                File.WriteAllText(P("text.png"), "this is not an image\n");
                return ("text", P("text.png"), false);
            case 3:
                File.WriteAllBytes(P("noise.tif"), FuzzHarness.Garbage(random, random.Next(8, 4000)));
                return ("random bytes", P("noise.tif"), false);
            case 4:
                var signature = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
                File.WriteAllBytes(P("header.png"), signature.Concat(FuzzHarness.Garbage(random, 200)).ToArray());
                return ("PNG signature then garbage", P("header.png"), false);
            case 5:
                WritePng(P("square.png"), Height, Height);
                return ("wrong shape", P("square.png"), false);
            case 6:
                WritePng(P("dot.png"), 1, 1);
                return ("1x1", P("dot.png"), false);
            case 7:
                {
                    var px = Enumerable.Range(0, Height * Width).Select(k => 1000 + 37 * (k % 1500)).ToArray();
                    using var t = Tensor.FromArray(px, Height, Width);
                    ImageIO.Write(P("deep.png"), t);
                    return ("16-bit", P("deep.png"), true);
                }
            case 8:
                FloatTiff.Write(P("unit.tif"), Height, Width, (y, x) => 0.2f + 0.6f * x / Width);
                return ("float TIFF in [0, 1]", P("unit.tif"), true);
            case 9:
                FloatTiff.Write(P("signed.tif"), Height, Width, (y, x) => x - 10f);
                return ("float TIFF with negative values", P("signed.tif"), false);
            case 10:
                FloatTiff.Write(P("nan.tif"), Height, Width, (y, x) => x == 3 ? float.NaN : 0.5f);
                return ("float TIFF with NaN", P("nan.tif"), false);
            case 11:
                WritePng(P("rgb.png"), Height * 2, Width * 2, channels: 3);
                return ("RGB twice the size", P("rgb.png"), true);
            case 12:
                Directory.CreateDirectory(P("folder.png"));
                File.WriteAllText(P("folder.png/inside.txt"), "x");
                WritePng(P("other.png"), Height, 4 * Height);
                return ("wrong aspect beside a folder named .png", P("other.png"), false);
            case 13:
                File.CreateSymbolicLink(P("dangling.png"), P("nowhere.png"));
                return ("dangling link", P("dangling.png"), false);
            case 14:
                WritePng(P("rgba.png"), Height, Width, channels: 4);
                return ("RGBA", P("rgba.png"), true);
            default:
                FloatTiff.Write(P("inf.tif"), Height, Width, (y, x) => x == 5 ? float.PositiveInfinity : 0.5f);
                return ("float TIFF with infinity", P("inf.tif"), false);
        }
    }

    // ---- configs ----

    private static readonly string[] TrainingKeys =
    {
        "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "weight_decay", "beta1", "beta2", "schedule", "milestones",
        "gamma", "min_learning_rate", "restart_period", "restart_growth", "flip_horizontal", "flip_vertical", "early_stopping_patience",
        "max_backtracks", "seed",
    };

    private static readonly string[] TopKeys =
    {
        "model", "base_width", "height", "width", "gray", "reference_rule", "margin", "tau", "reference_sets", "gabor_lambdas",
        "validation_share", "test_share",
    };

    /// <summary>Values out of range: each is refused by the config's validation.</summary>
    private static readonly (string path, string value)[] OutOfRange =
    {
        ("fine.momentum", "-5"), ("fine.momentum", "1"), ("coarse.gamma", "-1"), ("coarse.gamma", "0"), ("feature.gamma", "2"),
        ("fine.epochs", "0"),
        ("fine.epochs", "-1"), ("fine.epochs", "1e10"), ("coarse.epochs", "2.5"), ("fine.batch_size", "0"), ("fine.learning_rate", "-0.1"),
        ("fine.learning_rate", "0"), ("fine.learning_rate", "1e400"), ("tau", "0"), ("tau", "1"), ("tau", "1.5"), ("margin", "-1"),
        ("base_width", "0"), ("base_width", "-4"), ("height", "0"), ("height", "-5"), ("height", "1e10"), ("width", "1"), ("height", "2"),
        ("validation_share", "0"), ("validation_share", "1.5"), ("test_share", "-0.1"), ("reference_sets", "0"), ("gabor_lambdas", "[]"),
        ("gabor_lambdas", "[-1]"), ("gabor_lambdas", "[0]"), ("fine.milestones", "[0]"), ("fine.min_learning_rate", "-1"),
        ("fine.weight_decay", "-1"), ("feature.beta1", "1"), ("fine.restart_period", "0"), ("fine.early_stopping_patience", "-1"),
        ("coarse.max_backtracks", "-2"), ("fine.min_learning_rate", "1"), ("fine.weight_decay", "1e999"),
    };

    private static readonly string[] WrongTypes = { "\"ten\"", "true", "[]", "{}", "null", "\"\"", "[1, 2]", "{\"a\": 1}" };

    private static string Nest(string path, string value)
    {
        var parts = path.Split('.');
        var json = value;
        for (int k = parts.Length - 1; k >= 0; k--) json = $"{{\"{parts[k]}\": {json}}}";
        return json;
    }

    [Fact]
    public void BadConfigs()
    {
        var random = NewRandom("config");
        var cases = new List<FuzzCase>();
        for (int i = 0; i < FuzzHarness.Cases(16); i++)
        {
            var folder = CaseFolder("config", i);
            var file = Path.Combine(folder, "config.json");
            int kind = i < 16 ? i % 8 : random.Next(8);
            (string, string) chosen = kind switch
            {
                0 => ("not an object", random.Pick(new[] { "null", "[]", "5", "\"fine\"", "true", "", " ", "[{\"fine\": {}}]" })),
                1 => ("garbage", Encoding.Latin1.GetString(FuzzHarness.Garbage(random, random.Next(1, 300)))),
                2 => ("truncated",
                    random.Pick(new[] { "{\"fine\": {", "{\"fine\": {\"epochs\": 3", "{\"tau\":", "{", "{\"fine\": {\"epochs\": 3}}}" })),
                3 => ("deep nesting", string.Concat(Enumerable.Repeat("{\"fine\": ", random.Next(70, 5000))) + "1" + new string('}', 1)),
                4 => Deep(random.Next(65, 3000)),
                5 => ("unknown key", random.Next(2) == 0
                    ? Nest(random.Pick(new[] { "fnie", "Fine2", "epochs", "lr", "seed" }), "3")
                    : Nest($"{random.Pick(new[] { "fine", "coarse", "feature" })}.{random.Pick(new[] { "epochz", "lr", "fine", "model" })}",
                        "3")),
                6 => WrongType(random),
                _ => OutOfRangeValue(random),
            };
            var (name, text) = chosen;
            File.WriteAllText(file, text);
            var missing = Path.Combine(folder, "no-manifest.csv");
            var args = random.Next(3) switch
            {
                0 => new[] { "stage", "train", missing, "--method", "plain", "--config", file, "--out", Path.Combine(folder, "run") },
                1 => new[] { "stage", "compare", missing, "--config", file, "--preset", "demo", "--out", Path.Combine(folder, "run") },
                _ => new[] { "stage", "train", missing, "--config", file, "--preset", "demo", "--out", Path.Combine(folder, "run") },
            };
            cases.Add(new("config", name, args, Expect.Refused, new[] { file }));
        }
        FuzzHarness.RunAll("config", cases, dir, output);
    }

    private static (string, string) Deep(int depth) => ("deep nesting",
        "{\"fine\": " + string.Concat(Enumerable.Repeat("{\"a\": ", depth)) + "1" + new string('}', depth + 1));

    private static (string, string) WrongType(Random random)
    {
        var path = random.Next(3) switch
        {
            0 => random.Pick(TopKeys),
            1 => random.Pick(new[] { "fine", "coarse", "feature" }),
            _ => $"{random.Pick(new[] { "fine", "coarse", "feature" })}.{random.Pick(TrainingKeys)}",
        };
        // a string is a fine value for an enum only if it names a member; "ten" names none. An empty object is a fine
        // value for a group of settings (it overrides nothing), so a group gets one of the other wrong types.
        bool group = path is "fine" or "coarse" or "feature";
        var value = random.Pick(group ? WrongTypes.Where(v => v != "{}").ToArray() : WrongTypes);
        return ($"wrong type at {path}", Nest(path, value));
    }

    private static (string, string) OutOfRangeValue(Random random)
    {
        var (path, value) = random.Pick(OutOfRange);
        return ($"{path} = {value}", Nest(path, value));
    }

    // ---- model.json ----

    [Fact]
    public void BadModelFiles()
    {
        var random = NewRandom("model");
        var model = GoodModel();
        var manifest = GoodManifest();
        var goodJson = File.ReadAllText(Path.Combine(model, "model.json"));
        var cases = new List<FuzzCase>();
        for (int i = 0; i < FuzzHarness.Cases(16); i++)
        {
            var run = CaseFolder("model", i);
            File.Copy(Path.Combine(model, "model.pt"), Path.Combine(run, "model.pt"));
            var json = System.Text.Json.Nodes.JsonNode.Parse(goodJson)!.AsObject();
            string Mutated(Action<System.Text.Json.Nodes.JsonObject> change)
            {
                change(json);
                return json.ToJsonString();
            }
            int kind = i < 16 ? i : random.Next(16);
            (string name, string text) = kind switch
            {
                0 => ("empty", ""),
                1 => ("null", "null"),
                2 => ("not an object", random.Pick(new[] { "[]", "5", "\"model\"", "true" })),
                3 => ("garbage", Encoding.Latin1.GetString(FuzzHarness.Garbage(random, random.Next(1, 300)))),
                4 => ("truncated", goodJson[..random.Next(1, goodJson.Length - 1)]),
                5 => ("unknown method", Mutated(j => j["method"] = random.Pick(new[] { "magic", "", "PLAIN ", "gabor2" }))),
                6 => ("method null", Mutated(j => j["method"] = null)),
                7 => ("a method without a network", Mutated(j => j["method"] = "gabor")),
                8 => ("no weights", Mutated(j => j.Remove("weights"))),
                9 => ("missing weights file", Mutated(j => j["weights"] = random.Pick(new[] { "nowhere.pt", "", "sub/model.pt", "/" }))),
                10 => ("weights not a checkpoint", GarbageWeights(random, run, Mutated)),
                11 => ("wrong architecture", Mutated(j => j["config"]!["base_width"] = random.Next(2) == 0 ? 8 : 2)),
                12 => ("wrong input channels", Mutated(j => j["config"]!["gray"] = false)),
                13 => ("config null", Mutated(j => j["config"] = null)),
                14 => ("config out of range",
                    Mutated(j => j["config"]![random.Pick(new[] { "base_width", "height", "width" })] = random.Pick(new[] { 0, -1, 1 }))),
                _ => ("weights cut short", CutWeights(random, run, goodJson)),
            };
            var info = Path.Combine(run, "model.json");
            File.WriteAllText(info, text);
            var outDir = Path.Combine(run, "out");
            var args = random.Next(3) switch
            {
                0 => new[] { "stage", "evaluate", run, manifest },
                1 => new[] { "stage", "predict", run, Path.Combine(manifest, "..", "images"), "--out", Path.Combine(outDir, "p.csv") },
                _ => new[]
                {
                    "explain", random.Next(2) == 0 ? run : info, Path.Combine(manifest, "..", "images", "s5.png"), "--out", outDir,
                },
            };
            cases.Add(new("model", name, args, Expect.Refused, new[] { run }));
        }
        FuzzHarness.RunAll("model", cases, dir, output);
    }

    private static string GarbageWeights(Random random, string run, Func<Action<System.Text.Json.Nodes.JsonObject>, string> mutate)
    {
        File.WriteAllBytes(Path.Combine(run, "junk.pt"), FuzzHarness.Garbage(random, random.Next(0, 3000)));
        return mutate(j => j["weights"] = random.Next(2) == 0 ? "junk.pt" : "model.json");
    }

    private static string CutWeights(Random random, string run, string goodJson)
    {
        var weights = Path.Combine(run, "model.pt");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..random.Next(0, bytes.Length - 1)]);
        return goodJson;
    }

    // ---- command lines ----

    /// <summary>An option with values a command accepts and values it must refuse.</summary>
    private sealed record Opt(string Name, string[] Good, string[] Bad);

    /// <summary>A command with its required arguments (which exist, so only the bad value can stop it early).</summary>
    private sealed record Cmd(string[] Words, Func<string, string[]> Required, Opt[] Options);

    private Cmd[] Commands()
    {
        var model = GoodModel();
        var manifest = GoodManifest();
        var image = Path.Combine(manifest, "..", "images", "s5.png");
        var tables = Path.Combine(TestPaths.SharedData, "bdgp-annotations");
        string[] badInt = { "three", "1.5", "", "0x10", "99999999999", "1e3" };
        return new Cmd[]
        {
            new(new[] { "synth" }, f => new[] { "--out", Path.Combine(f, "synth"), "--tables", tables }, new Opt[]
            {
                new("--images", new[] { "3", "4" }, badInt.Concat(new[] { "0", "-4" }).ToArray()),
                new("--seed", new[] { "1", "7" }, badInt),
                new("--jitter", new[] { "0.1", "0" }, new[] { "-0.5", "2.5", "NaN", "Infinity", "lots", "" }),
                new("--preset", new[] { "bdgp-small" }, new[] { "bdgp-huge", "", "BDGP" }),
            }),
            new(new[] { "data", "split" }, f => new[] { manifest, "--out", Path.Combine(f, "split.csv") }, new Opt[]
            {
                new("--fractions", new[] { "0.5,0.25,0.25", "0.7,0.1,0.2" },
                    new[] { "0.5,0.5,0.5", "-0.1,0.6,0.5", "a,b,c", "1,0", ",", "NaN,0.5,0.5", "0.7;0.1;0.2", "" }),
                new("--seed", new[] { "1", "2" }, badInt),
            }),
            new(new[] { "data", "standardize" }, f => new[] { Path.Combine(manifest, "..", "images"), "--out", Path.Combine(f, "std") },
                new Opt[]
            {
                new("--width", new[] { "64", "80" }, badInt.Concat(new[] { "8", "0", "-80" }).ToArray()),
                new("--height", new[] { "32", "40" }, badInt.Concat(new[] { "15", "-1" }).ToArray()),
            }),
            new(new[] { "stage", "train" }, f => new[] { manifest, "--out", Path.Combine(f, "run") }, new Opt[]
            {
                new("--method", new[] { "plain", "gabor" }, new[] { "magic", "", "plain,gabor", "PLAIN2" }),
                new("--preset", new[] { "demo" }, new[] { "fast", "", "Demo2" }),
                new("--config", Array.Empty<string>(), new[] { Path.Combine(f0, "no-config.json") }),
            }),
            new(new[] { "stage", "compare" }, f => new[] { manifest, "--out", Path.Combine(f, "run") }, new Opt[]
            {
                new("--methods", new[] { "plain", "gabor,plain" }, new[] { ",", "", "plain,,magic", "magic", " , " }),
                new("--seeds", new[] { "1" }, badInt.Concat(new[] { "0", "-2" }).ToArray()),
                new("--preset", new[] { "demo" }, new[] { "fast", "" }),
            }),
            new(new[] { "explain" }, f => new[] { model, image, "--out", Path.Combine(f, "maps") }, new Opt[]
            {
                new("--method", new[] { "saliency", "gradcam" }, new[] { "magic", "", "sal" }),
                new("--stage", new[] { "5", "17" }, badInt.Concat(new[] { "3", "18", "0", "-5" }).ToArray()),
            }),
            new(new[] { "gem" }, f => new[] { model, manifest, "--out", Path.Combine(f, "gems") }, new Opt[]
            {
                new("--stages", new[] { "4-17", "5-9" }, new[] { "3-20", "9-7", "x", "", "5", "4-17-3", "-5-9" }),
            }),
            new(new[] { "demo" }, f => new[] { "--out", Path.Combine(f, "demo"), "--tables", tables }, new Opt[]
            {
                new("--seeds", new[] { "1", "2" }, badInt.Concat(new[] { "0", "-1" }).ToArray()),
                new("--per-stage", new[] { "6", "8" }, badInt.Concat(new[] { "5", "0" }).ToArray()),
                new("--coarse-factor", new[] { "1", "2" }, badInt.Concat(new[] { "0", "-3" }).ToArray()),
            }),
        };
    }

    private string f0 => Path.Combine(dir, "cli");

    [Fact]
    public void BadCommandLines()
    {
        var random = NewRandom("cli");
        var commands = Commands();
        var cases = new List<FuzzCase>();
        for (int i = 0; i < FuzzHarness.Cases(24); i++)
        {
            var folder = CaseFolder("cli", i);
            var cmd = commands[i < 24 ? i % commands.Length : random.Next(commands.Length)];
            var badOption = random.Pick(cmd.Options);
            var badValue = random.Pick(badOption.Bad);
            // the other options in random order, each with a good value or left out
            var pairs = new List<string[]> { new[] { badOption.Name, badValue } };
            foreach (var o in cmd.Options.Where(o => o != badOption && o.Good.Length > 0 && random.Next(2) == 0))
                pairs.Add(new[] { o.Name, random.Pick(o.Good) });
            var required = cmd.Required(folder);
            var args = cmd.Words.Concat(pairs.OrderBy(_ => random.Next()).SelectMany(p => p)).Concat(required).ToArray();
            // the error names the option (perhaps without its dashes, as in "split fractions must ...") or the bad value
            var names = new[] { badOption.Name, badOption.Name.TrimStart('-') }
                .Concat(badValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(v => v.Length > 1))
                .ToArray();
            cases.Add(new("cli", $"{string.Join(' ', cmd.Words)} {badOption.Name} '{badValue}'", args, Expect.Refused, names));
        }
        FuzzHarness.RunAll("cli", cases, dir, output);
    }
}
