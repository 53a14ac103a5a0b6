namespace InSitu.Tests;

/// <summary>A fresh temporary folder per test, removed afterwards.</summary>
public abstract class TempFolderTest : IDisposable
{
    // lower case: it reads as the folder itself in every test
    protected string dir { get; } = Directory.CreateTempSubdirectory("insitu-test").FullName;

    public void Dispose()
    {
        Directory.Delete(dir, true);
        GC.SuppressFinalize(this);
    }
}
