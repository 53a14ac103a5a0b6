// Deliberately tangled code that the architecture checks must flag (see ArchitectureTests).
namespace InSitu.Tests.Architecture.Samples.Ping
{
    public static class Ping
    {
        public static int Serve(int n) => n <= 0 ? 0 : Pong.Pong.Return(n - 1);
    }
}

namespace InSitu.Tests.Architecture.Samples.Pong
{
    public static class Pong
    {
        public static int Return(int n) => Ping.Ping.Serve(n);
    }
}

namespace InSitu.Tests.Architecture.Samples.Workflows.Bags
{
    public sealed class BagModel
    {
        public int Size { get; init; }
    }
}

namespace InSitu.Tests.Architecture.Samples.Workflows.Terms
{
    public static class TermModel
    {
        public static int Borrow() => new Bags.BagModel { Size = 3 }.Size;
    }
}
