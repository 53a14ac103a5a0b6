using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InSitu.Torch;

namespace InSitu.Models.Pretrained;

/// <summary>
/// The npm package nsfwjs 4.4.0 (MIT licence), which ships a TF.js layers model of MobileNetV2 in
/// <c>dist/models/mobilenet_v2/</c>: the topology and weights manifest in <c>model.min.js</c>, the uint8-quantised
/// weights as base64 in <c>group1-shard*.min.js</c>. The tarball is checked against the checksum the npm registry
/// publishes for this version, whoever delivered it.
/// </summary>
public sealed class NsfwjsPackage
{
    public const string Spec = "nsfwjs@4.4.0";
    public const string TarballName = "nsfwjs-4.4.0.tgz";
    public const string RegistryUrl = "https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz";

    /// <summary>The registry's dist.integrity of nsfwjs 4.4.0.</summary>
    public const string Integrity = "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==";

    private const string ModelFolder = "package/dist/models/mobilenet_v2/";

    /// <summary>model.min.js's exported object: modelTopology and weightsManifest.</summary>
    public JsonObject Model { get; }

    /// <summary>The decoded bytes of each weights shard, by the path the manifest names it with.</summary>
    public IReadOnlyDictionary<string, byte[]> Shards { get; }

    /// <summary>Where the tarball came from (npm, the registry URL, or a file).</summary>
    public string Source { get; }

    private NsfwjsPackage(JsonObject model, Dictionary<string, byte[]> shards, string source) =>
        (Model, Shards, Source) = (model, shards, source);

    /// <summary>
    /// The package from <paramref name="tarball"/> if given, else from <paramref name="cache"/> if an earlier fetch left
    /// it there, else from npm (npm pack), else from the registry over HTTPS. A tarball that passes the checksum is kept
    /// in <paramref name="cache"/> (the known-answer tests decode it from there, with the decoder as it is now).
    /// </summary>
    public static NsfwjsPackage Fetch(string? tarball, string cache, Action<string> say)
    {
        byte[] bytes;
        string source;
        if (tarball is not null)
        {
            if (!File.Exists(tarball)) throw new FileNotFoundException($"'{tarball}' does not exist (expected {TarballName})", tarball);
            (bytes, source) = (File.ReadAllBytes(tarball), Path.GetFullPath(tarball));
        }
        else if (File.Exists(cache) && Checksum(File.ReadAllBytes(cache)) == Integrity)
        {
            say($"using {cache}");
            return Open(File.ReadAllBytes(cache), cache);
        }
        else if (FindOnPath("npm") is { } npm)
        {
            say($"fetching {Spec} with npm pack");
            (bytes, source) = (NpmPack(npm), $"npm pack {Spec}");
        }
        else
        {
            say($"npm is not installed; downloading {RegistryUrl}");
            (bytes, source) = (Download(), RegistryUrl);
        }
        var package = Open(bytes, source);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cache))!);
        AtomicFile.WriteBytes(cache, bytes);
        return package;
    }

    private static string Checksum(byte[] tarball) => "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball));

    /// <summary>
    /// Checks <paramref name="tarball"/> against <paramref name="expectedIntegrity"/> (by default the registry's checksum of
    /// nsfwjs 4.4.0) and reads the model files out of it.
    /// </summary>
    public static NsfwjsPackage Open(byte[] tarball, string source, string expectedIntegrity = Integrity)
    {
        var integrity = Checksum(tarball);
        if (integrity != expectedIntegrity)
            throw new InvalidDataException($"{source}: not the published {TarballName} (its checksum is {integrity[..20]}..., the " +
                $"registry's is {expectedIntegrity[..20]}...); fetch it again or pass the right file with --from");
        string? modelJs = null;
        var shardJs = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(tarball), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (!entry.Name.StartsWith(ModelFolder, StringComparison.Ordinal) || entry.DataStream is null) continue;
                var file = entry.Name[ModelFolder.Length..];
                using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
                if (file == "model.min.js") modelJs = reader.ReadToEnd();
                else if (file.StartsWith("group", StringComparison.Ordinal) && file.EndsWith(".min.js", StringComparison.Ordinal))
                    shardJs[file[..^".min.js".Length]] = reader.ReadToEnd();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{source}: not a readable npm tarball ({e.Message})", e);
        }
        if (modelJs is null) throw new InvalidDataException($"{source}: holds no {ModelFolder}model.min.js");
        return FromBundles(modelJs, shardJs, source);
    }

    /// <summary>The model from the bundle texts: model.min.js and each shard's .min.js by shard path (group1-shard1of1).</summary>
    public static NsfwjsPackage FromBundles(string modelJs, IReadOnlyDictionary<string, string> shardJs, string source)
    {
        static bool IsModel(JsonNode? v) => v is JsonObject o && o.ContainsKey("modelTopology") && o.ContainsKey("weightsManifest");
        var model = JsLiteral.Exported(modelJs, IsModel, $"{source}: model.min.js") as JsonObject;
        var shards = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (path, js) in shardJs)
        {
            var base64 = JsLiteral.Exported(js, v => v is JsonValue s && s.TryGetValue<string>(out _), $"{source}: {path}.min.js");
            try
            {
                shards[path] = Convert.FromBase64String(base64!.GetValue<string>());
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{source}: {path}.min.js does not hold base64 weights ({e.Message})", e);
            }
        }
        return new NsfwjsPackage(model!, shards, source);
    }

    /// <summary>The weight tensors in manifest order, decoded as TF.js decodes them.</summary>
    public List<TfjsTensor> DecodeWeights() =>
        TfjsWeights.Decode(Model["weightsManifest"] as JsonArray ?? throw new InvalidDataException($"{Source}: no weightsManifest"),
            path => Shards.TryGetValue(path, out var b) ? b
                : throw new InvalidDataException($"{Source}: the manifest names shard '{path}', which the package does not hold"));

    private static byte[] NpmPack(string npm)
    {
        var dir = Directory.CreateTempSubdirectory("insitu-npm");
        try
        {
            var start = new ProcessStartInfo(npm)
            {
                WorkingDirectory = dir.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "pack", Spec, "--silent", "--no-fund", "--no-audit" }) start.ArgumentList.Add(a);
            using var p = Process.Start(start) ?? throw new IOException($"cannot start {npm}");
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                throw new IOException($"npm pack {Spec} did not finish within 5 minutes; check the network or npm's registry " +
                    $"setting, or download {TarballName} yourself and pass it with --from");
            }
            var file = Path.Combine(dir.FullName, TarballName);
            if (p.ExitCode != 0 || !File.Exists(file))
            {
                var why = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .LastOrDefault(l => l.Contains("ERR", StringComparison.Ordinal)) ?? $"exit code {p.ExitCode}";
                throw new IOException($"npm pack {Spec} failed ({why}); check the network or npm's registry setting, or download " +
                    $"{TarballName} yourself and pass it with --from");
            }
            return File.ReadAllBytes(file);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static byte[] Download()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            return http.GetByteArrayAsync(new Uri(RegistryUrl)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new IOException($"cannot download {RegistryUrl} ({e.Message}); check the network, or download {TarballName} " +
                "yourself and pass it with --from", e);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
