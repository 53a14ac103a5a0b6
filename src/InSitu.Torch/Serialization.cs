using System.Runtime.InteropServices;
using System.Text;

namespace InSitu.Torch;

/// <summary>
/// Dictionaries of named tensors in PyTorch's own file format: what torch.save(model.state_dict()) writes and
/// torch.load reads, so weights move both ways between InSitu and PyTorch.
/// </summary>
public static class Serialization
{
    /// <summary>Writes atomically: to a temporary file beside the target, then renamed over it.</summary>
    public static unsafe void Save(IReadOnlyList<(string name, Tensor tensor)> entries, string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new TorchException($"cannot save '{path}': folder '{dir}' does not exist");
        var names = new IntPtr[entries.Count];
        var handles = new IntPtr[entries.Count];
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(entries[i].name);
                handles[i] = entries[i].tensor.Handle;
            }
            AtomicFile.Write(full, tmp =>
            {
                fixed (IntPtr* n = names)
                fixed (IntPtr* h = handles)
                {
                    if (Native.ist_save_tensors(tmp, n, h, entries.Count) != 0)
                        throw new TorchException($"cannot save '{path}': {Native.LastError()}");
                }
                GC.KeepAlive(entries);
                using var fs = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite);
                fs.Flush(flushToDisk: true);
            });
        }
        finally
        {
            foreach (var n in names) Marshal.FreeCoTaskMem(n);
        }
    }

    /// <summary>Reads a dict of tensors saved by torch.save or by <see cref="Save"/>, in file order.</summary>
    public static unsafe Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new TorchException($"cannot load '{path}': no such file");
        if (Native.ist_load_tensors(path, out var dict) != 0)
            throw new TorchException($"cannot load '{path}' as a PyTorch state dict: {Native.LastError()}");
        try
        {
            Native.Check(Native.ist_dict_size(dict, out var n));
            var result = new Dictionary<string, Tensor>(n);
            var buf = stackalloc byte[4096];
            for (int i = 0; i < n; i++)
            {
                Native.Check(Native.ist_dict_key(dict, i, buf, 4096));
                Native.Check(Native.ist_dict_value(dict, i, out var t));
                result[Marshal.PtrToStringUTF8((IntPtr)buf)!] = new Tensor(t);
            }
            return result;
        }
        finally
        {
            Native.ist_dict_free(dict);
        }
    }
}
