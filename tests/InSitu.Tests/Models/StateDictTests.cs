using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Tests.Models;

/// <summary>
/// State dicts cross between InSitu and PyTorch in both directions: a file written by torch.save loads into
/// InSitu's ResNet, and a file written by Module.Save loads into the PyTorch twin of tests/fixtures/tiny_resnet.py,
/// with the same logits either way.
/// </summary>
public class StateDictTests
{
    private const string Python = "/usr/bin/python3";

    private static ResNet TinyResNet() => new(ResNetConfig.Paper(inChannels: 1, classes: 3, height: 32, width: 32, baseWidth: 4));

    [Fact]
    public void ResNetKeysMatchPyTorchNamesAndOrder()
    {
        var c = FixtureCase.Load("resnet_tiny.json", "resnet_tiny_eval");
        using var model = TinyResNet();
        Assert.Equal(c.Strs("keys"), model.StateDict().Select(e => e.name).ToArray());
    }

    [Fact]
    public void TorchSavedStateDictLoadsAndGivesPyTorchLogits()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("resnet_tiny.json", "resnet_tiny_eval");
        var path = FixtureCase.PathOf("resnet_tiny.pt");
        using var model = TinyResNet();
        model.Load(path);

        // Every value arrives unchanged, buffers (including the int64 batch counters) as well as parameters.
        var file = Serialization.Load(path);
        var own = model.StateDict();
        Assert.Equal(file.Keys, own.Select(e => e.name));
        foreach (var (key, tensor) in own)
        {
            Assert.Equal(file[key].DType, tensor.DType);
            Assert.True(file[key].Shape.SequenceEqual(tensor.Shape), key);
            Assert.True(file[key].Eq(tensor).All().Item() != 0, $"'{key}' differs from the file after loading");
        }

        model.Eval();
        using var noGrad = Autograd.NoGrad();
        Close.Equal(c, "out", model.Forward(c.T("x")));
    }

    [Fact]
    public void TorchSavedViewsAndDtypesLoadExactly()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var c = FixtureCase.Load("misc_tensors.json", "misc_tensors");
        var loaded = Serialization.Load(FixtureCase.PathOf("misc_tensors.pt"));
        Assert.Equal(c.Strs("keys"), loaded.Keys);
        var dtypes = c.Arg("dtypes");
        foreach (var key in c.Strs("keys"))
        {
            var t = loaded[key];
            Assert.Equal(dtypes.GetProperty(key).GetString(), "torch." + t.DType.Name());
            Assert.True(c.Shape(key).SequenceEqual(t.Shape),
                $"{key}: shape {Tensor.FormatShape(t.Shape)}, PyTorch has {Tensor.FormatShape(c.Shape(key))}");
            // Views must come back as the viewed elements (storage offset and strides applied), bit for bit.
            Assert.Equal(c.Doubles(key), t.ToDoubleArray());
        }
    }

    [Fact]
    public void InSituSavedTensorsLoadBackExactly()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var baseT = Factory.Randn(new long[] { 4, 6 });
        var entries = new List<(string, Tensor)>
        {
            ("base", baseT),
            ("view.slice", baseT.Slice(0, 1, null).Slice(1, 0, null, 2)),
            ("view.transposed", baseT.T()),
            ("float64", Factory.Randn(new long[] { 3 }, DType.Float64)),
            ("int64", Tensor.FromArray(new long[] { -(1L << 40), 3, 0 })),
            ("bool", Tensor.FromArray(new[] { true, false, true })),
            // The span overload keeps the 0-d shape (Tensor.Scalar and the array overload give [1]).
            ("scalar", Tensor.FromArray((ReadOnlySpan<float>)new[] { 2.5f }, Array.Empty<long>())),
            ("empty", Factory.Zeros(new long[] { 0, 3 })),
        };
        var dir = Directory.CreateTempSubdirectory("insitu-serialization-");
        try
        {
            var path = Path.Combine(dir.FullName, "tensors.pt");
            Serialization.Save(entries, path);
            var loaded = Serialization.Load(path);
            Assert.Equal(entries.Select(e => e.Item1), loaded.Keys);
            Assert.Empty(loaded["scalar"].Shape);
            foreach (var (key, t) in entries)
            {
                Assert.Equal(t.DType, loaded[key].DType);
                Assert.Equal(t.Shape, loaded[key].Shape);
                Assert.Equal(t.ToDoubleArray(), loaded[key].ToDoubleArray());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void InSituSavedStateDictLoadsIntoPyTorchWithSameLogits()
    {
        EnsurePythonHasTorch();
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(1234);
        using var model = TinyResNet();
        BatchNormStatistics.Randomise(model);
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm2d bn) bn.NumBatchesTracked.Fill_(3);
        model.Eval();
        var x = Factory.Randn(new long[] { 2, 1, 32, 32 });
        float[] ours;
        using (Autograd.NoGrad()) ours = model.Forward(x).ToArray<float>();

        var dir = Directory.CreateTempSubdirectory("insitu-statedict-");
        try
        {
            var weights = Path.Combine(dir.FullName, "tiny_resnet.pt");
            model.Save(weights);
            var input = Path.Combine(dir.FullName, "input.json");
            // "R" writes the shortest text that reads back to the same float, so PyTorch sees the identical input.
            File.WriteAllText(input,
                "[" + string.Join(",", x.ToArray<float>().Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]");

            var result = RunPython(PyTorchSide, FixturesScriptDir(), weights, input);
            using var doc = JsonDocument.Parse(result);
            var root = doc.RootElement;
            // torch.load must see InSitu's keys in InSitu's order, and load_state_dict(strict=True) accept them.
            Assert.Equal(model.StateDict().Select(e => e.name), root.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!));
            Assert.Equal("torch.int64", root.GetProperty("counter_dtype").GetString());
            var shape = root.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            var theirs = root.GetProperty("logits").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            using var ourTensor = Tensor.FromArray(ours, 2, 3);
            Close.Equal(theirs, shape, ourTensor, "PyTorch logits of the InSitu-saved ResNet");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // Loads the InSitu-written file with plain torch.load into the PyTorch twin (strict), and prints what the
    // test needs as JSON. float32 logits become Python floats exactly, so the text loses nothing.
    private const string PyTorchSide = """
        import json, sys
        import torch
        sys.path.insert(0, sys.argv[1])
        import tiny_resnet
        torch.set_num_threads(1)
        state = torch.load(sys.argv[2])
        model = tiny_resnet.tiny()
        model.load_state_dict(state, strict=True)
        model.eval()
        with open(sys.argv[3]) as f:
            x = torch.tensor(json.load(f), dtype=torch.float32).reshape(2, 1, 32, 32)
        with torch.no_grad():
            logits = model(x)
        print(json.dumps({"keys": list(state.keys()), "counter_dtype": str(state["bn1.num_batches_tracked"].dtype),
                          "shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}))
        """;

    /// <summary>tests/fixtures (home of tiny_resnet.py), found by walking up from the test binaries to the repository.</summary>
    private static string FixturesScriptDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "tiny_resnet.py"))) return candidate;
        }
        throw new FileNotFoundException($"tests/fixtures/tiny_resnet.py not found in any folder above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// The interop check is only meaningful against real PyTorch, so a missing torch is a failure with the fix
    /// spelled out, never a skip that would let the suite pass without testing anything.
    /// </summary>
    private static void EnsurePythonHasTorch()
    {
        const string fix = "The state-dict interop test needs PyTorch in Debian's Python (" + Python + "). Run `make setup` to install it.";
        if (!File.Exists(Python)) Assert.Fail($"{Python} does not exist. {fix}");
        var (code, _, err) = Run(Python, "-c", "import torch");
        // The traceback's last line ("No module named 'torch'") is the informative one.
        if (code != 0) Assert.Fail($"{Python} cannot import torch ({err.Trim().Split('\n')[^1]}). {fix}");
    }

    private static string RunPython(string script, params string[] args)
    {
        var (code, output, err) = Run(Python, new[] { "-c", script }.Concat(args).ToArray());
        if (code != 0) Assert.Fail($"the PyTorch side failed (exit {code}):\n{err}");
        return output;
    }

    private static (int code, string stdout, string stderr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        // Read both streams concurrently: a child that fills one pipe while we block on the other would hang.
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish within 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
