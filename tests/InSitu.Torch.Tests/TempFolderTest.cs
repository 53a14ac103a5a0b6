namespace InSitu.Torch.Tests;

/// <summary>A fresh temporary folder per test, removed afterwards.</summary>
public abstract class TempFolderTest : IDisposable
{
    protected readonly string dir = Directory.CreateTempSubdirectory("insitu-test").FullName;

    public void Dispose()
    {
        Directory.Delete(dir, true);
        GC.SuppressFinalize(this);
    }
}
