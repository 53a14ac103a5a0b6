namespace InSitu.Torch;

/// <summary>An error raised by libtorch or OpenCV, or by a check of the binding, carrying their text.</summary>
public class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
