using System.Text.Json;
using InSitu.Common;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models.Pretrained;

/// <summary>
/// Where pretrained weights live: one PyTorch-format state dict per architecture (NAME.pt, which torch.load reads too)
/// with its <see cref="WeightsRecord"/> beside it (NAME.json). The folder is $INSITU_WEIGHTS_DIR, else
/// $XDG_DATA_HOME/insitu/weights, else ~/.local/share/insitu/weights. Both files are written atomically.
/// </summary>
public sealed class WeightsStore
{
    public string Folder { get; }

    public WeightsStore(string folder) => Folder = Path.GetFullPath(folder);

    public static WeightsStore Default() => new(DefaultFolder());

    public static string DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable("INSITU_WEIGHTS_DIR") is { Length: > 0 } dir) return dir;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(data))
            data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "insitu", "weights");
    }

    public string WeightsPath(string architecture) => Path.Combine(Folder, architecture + ".pt");

    /// <summary>Where a fetched package is kept (packages/NAME), so that it is fetched once.</summary>
    public string PackageCache(string fileName) => Path.Combine(Folder, "packages", fileName);

    /// <summary>The record beside a weights file: FILE.pt -> FILE.json.</summary>
    public static string RecordPath(string weightsFile) => Path.ChangeExtension(weightsFile, ".json");

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict and its record to <paramref name="file"/> (default: the store's place).
    /// </summary>
    public string Save(Module model, WeightsRecord record, string? file = null)
    {
        var path = Path.GetFullPath(file ?? WeightsPath(record.Architecture));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        model.Save(path);
        AtomicFile.WriteText(RecordPath(path), JsonSettings.Serialize(record) + "\n");
        return path;
    }

    /// <summary>The record of the stored weights of <paramref name="architecture"/>, or null if there are none.</summary>
    public WeightsRecord? Find(string architecture)
    {
        var path = WeightsPath(architecture);
        return File.Exists(path) ? ReadRecord(path) : null;
    }

    public static WeightsRecord ReadRecord(string weightsFile)
    {
        var recordPath = RecordPath(weightsFile);
        if (!File.Exists(recordPath))
            throw new FileNotFoundException($"'{weightsFile}' has no record '{recordPath}' beside it; store weights with " +
                "`insitu weights get` or `insitu weights import`", recordPath);
        try
        {
            return JsonSerializer.Deserialize<WeightsRecord>(File.ReadAllText(recordPath), JsonSettings.Options)
                ?? throw new InvalidDataException($"'{recordPath}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{recordPath}' is not a weights record ({e.Message}); store the weights again", e);
        }
    }

    /// <summary>The stored network of <paramref name="architecture"/> with its weights, in eval mode.</summary>
    public Module Load(string architecture)
    {
        var arch = PretrainedArchitecture.Find(architecture);
        var path = WeightsPath(arch.Name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"no {arch.Name} weights in '{Folder}'; get them with {arch.Source}", path);
        return LoadFile(arch, path);
    }

    /// <summary>A network of <paramref name="arch"/> with the weights of a file this store wrote.</summary>
    public static Module LoadFile(PretrainedArchitecture arch, string path)
    {
        var record = ReadRecord(path);
        if (record.Architecture != arch.Name)
            throw new InvalidDataException($"'{path}' holds {record.Architecture} weights, not {arch.Name}");
        var model = arch.Create(record.Classes);
        try
        {
            model.Load(path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.Eval();
        return model;
    }
}
