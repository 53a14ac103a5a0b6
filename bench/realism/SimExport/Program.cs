using InSitu.Synthesis;
using InSitu.Torch;

// Writes what `insitu synth --realism` renders in-process, as files, for `--simulated DIR`: simulated raw frames
// (raw/NNN.jpg, JPEG as `synth --raw` writes them) and standard views (standard/NNN.png), each with the mask of its
// main embryo (NNN_mask.png, black = embryo, as the real photos' masks). Uses only the simulator API that is the same
// before and after the realistic simulator (Plan, RenderRaw, RenderStandard), so one source serves both.
//   SimExport TABLES OUT COUNT SEED RAW_WIDTH RAW_HEIGHT
if (args.Length != 6)
{
    Console.Error.WriteLine("usage: SimExport TABLES OUT COUNT SEED RAW_WIDTH RAW_HEIGHT");
    return 2;
}
var tables = BdgpLabelTables.Load(args[0]);
string outDir = args[1];
int count = int.Parse(args[2]), seed = int.Parse(args[3]), rawWidth = int.Parse(args[4]), rawHeight = int.Parse(args[5]);
var options = new SynthOptions(count, seed, RawWidth: rawWidth, RawHeight: rawHeight);
var plan = DatasetSimulator.Plan(tables, options);
Directory.CreateDirectory(Path.Combine(outDir, "raw"));
Directory.CreateDirectory(Path.Combine(outDir, "standard"));
Parallel.For(0, plan.Count, i =>
{
    var (raw, _) = DatasetSimulator.RenderRaw(plan[i], options, out var rawMask);
    Write(Path.Combine(outDir, "raw", $"{i:D3}.jpg"), raw, rawWidth, rawHeight);
    Write(Path.Combine(outDir, "raw", $"{i:D3}_mask.png"), Mask(rawMask), rawWidth, rawHeight);
    var standard = DatasetSimulator.RenderStandard(plan[i], options, out var standardMask);
    Write(Path.Combine(outDir, "standard", $"{i:D3}.png"), standard, options.Width, options.Height);
    Write(Path.Combine(outDir, "standard", $"{i:D3}_mask.png"), Mask(standardMask), options.Width, options.Height);
});
Console.WriteLine($"wrote {plan.Count} raw frames and {plan.Count} standard views with masks to {outDir}");
return 0;

static byte[] Mask(bool[] embryo) => embryo.SelectMany(e => Enumerable.Repeat(e ? (byte)0 : (byte)255, 3)).ToArray();

static void Write(string path, byte[] rgb, int width, int height)
{
    using var t = Tensor.FromArray(rgb, height, width, 3);
    ImageIO.Write(path, t);
}
