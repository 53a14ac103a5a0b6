using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// Dense SIFT-like descriptors on a regular grid, computed for a whole batch with convolutions:
/// <list type="number">
/// <item>the image gradient (central differences, edges reflected) is projected onto 8 directions 45 degrees apart and
/// rectified, max(0, g . u_o) (oriented gradient channels, the soft orientation binning of DAISY);</item>
/// <item>each channel is summed over cells of <see cref="CellSize"/> pixels with a tent window twice the cell size
/// (SIFT's bilinear spatial binning), giving a histogram per cell;</item>
/// <item>a descriptor is the 4 x 4 cells of a window (4 x 8 x 4 = 128 values), weighted by a Gaussian over the window
/// (sigma half its width, as SIFT), at every <see cref="Step"/>-th cell;</item>
/// <item>L2-normalised, clipped at 0.2 and normalised again (SIFT's illumination invariance); a window whose gradient
/// energy is below <see cref="ContrastThreshold"/> (flat background) gets the zero descriptor.</item>
/// </list>
/// </summary>
public sealed class DenseSift
{
    public const int Orientations = 8, Cells = 4, Length = Orientations * Cells * Cells;

    public DenseSift(int cellSize = 4, int step = 1, double contrastThreshold = 0.02)
    {
        if (cellSize < 1 || step < 1) throw new ArgumentException("cell size and step must be at least 1");
        (CellSize, Step, ContrastThreshold) = (cellSize, step, contrastThreshold);
    }

    /// <summary>Pixels per cell side; a descriptor covers 4 x 4 cells.</summary>
    public int CellSize { get; }

    /// <summary>Cells between neighbouring descriptors.</summary>
    public int Step { get; }

    /// <summary>Minimum mean gradient magnitude per pixel of a window (images in [0, 1]) for a non-zero descriptor.</summary>
    public double ContrastThreshold { get; }

    /// <summary>The descriptor grid of an image of this size: rows x columns of descriptors.</summary>
    public (int rows, int columns) Grid(int height, int width)
    {
        int cellsY = height / CellSize, cellsX = width / CellSize;
        if (cellsY < Cells || cellsX < Cells)
            throw new ArgumentException($"a {height}x{width} image is smaller than one descriptor window of " +
                $"{Cells * CellSize}x{Cells * CellSize} pixels");
        return ((cellsY - Cells) / Step + 1, (cellsX - Cells) / Step + 1);
    }

    /// <summary>Descriptors of grey images N x 1 x H x W (values in [0, 1]): N x 128 x rows x columns.</summary>
    public Tensor Compute(Tensor images)
    {
        if (images.Shape.Length != 4 || images.Size(1) != 1)
            throw new ArgumentException($"dense SIFT takes grey images [N, 1, H, W], got {Tensor.FormatShape(images.Shape)}");
        var (rows, columns) = Grid((int)images.Size(2), (int)images.Size(3));
        using var scope = TorchRuntime.NewDisposeScope();
        using var noGrad = Autograd.NoGrad();
        var x = F.ReflectionPad2d(images.Cast(DType.Float32), 1, 1, 1, 1);
        var gradient = F.Conv2d(x, DirectionalDerivatives()).Relu(); // N x 8 x H x W

        // tent-weighted cell sums, one cell per CellSize pixels (padding centres the tent on each cell)
        int c = CellSize;
        var cells = F.Conv2d(gradient, Tent(c), stride: [c, c], padding: [c / 2, c / 2], groups: Orientations);
        int cellsY = (int)images.Size(2) / c, cellsX = (int)images.Size(3) / c;
        cells = cells.Narrow(2, 0, cellsY).Narrow(3, 0, cellsX);

        // gather the 4 x 4 cells of each window, weighted by a Gaussian over the window
        var parts = new List<Tensor>();
        for (int dy = 0; dy < Cells; dy++)
            for (int dx = 0; dx < Cells; dx++)
            {
                double oy = dy - (Cells - 1) / 2.0, ox = dx - (Cells - 1) / 2.0, sigma = Cells / 2.0;
                double weight = Math.Exp(-(oy * oy + ox * ox) / (2 * sigma * sigma));
                parts.Add(cells.Slice(2, dy, dy + (rows - 1) * Step + 1, Step).Slice(3, dx, dx + (columns - 1) * Step + 1, Step)
                    .Mul(weight));
            }
        var raw = Tensor.Stack(parts, 2).Reshape(images.Size(0), Length, rows, columns); // orientation-major per cell
        // gradient energy per pixel of the window decides whether there is anything to describe
        var energy = raw.Sum(1, keepDim: true).Div(parts.Count * c * c);
        var norm = raw.Norm([1], keepDim: true).ClampMin(1e-12);
        var clipped = raw.Div(norm).Clamp(max: 0.2);
        var descriptor = clipped.Div(clipped.Norm([1], keepDim: true).ClampMin(1e-12));
        return scope.MoveToOuter(descriptor.Mul(energy.Ge(ContrastThreshold).Cast(DType.Float32)));
    }

    /// <summary>8 x 1 x 3 x 3 kernels: the central-difference derivative along each of 8 directions.</summary>
    private static Tensor DirectionalDerivatives()
    {
        var k = new float[Orientations * 9];
        for (int o = 0; o < Orientations; o++)
        {
            double angle = o * 2 * Math.PI / Orientations;
            float cx = (float)(Math.Cos(angle) / 2), cy = (float)(Math.Sin(angle) / 2);
            // d/dx: (right - left) / 2; d/dy: (below - above) / 2 (image rows grow downwards)
            k[o * 9 + 3] -= cx; k[o * 9 + 5] += cx;
            k[o * 9 + 1] -= cy; k[o * 9 + 7] += cy;
        }
        return Tensor.FromArray(k, Orientations, 1, 3, 3);
    }

    /// <summary>8 x 1 x 2c x 2c tent windows (separable triangles), each summing to c * c.</summary>
    private static Tensor Tent(int c)
    {
        int size = 2 * c;
        var line = new double[size];
        for (int i = 0; i < size; i++) line[i] = 1 - Math.Abs(i + 0.5 - c) / c;
        double sum = line.Sum();
        var k = new float[Orientations * size * size];
        for (int o = 0; o < Orientations; o++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    k[(o * size + y) * size + x] = (float)(line[y] * line[x] / (sum * sum) * c * c);
        return Tensor.FromArray(k, Orientations, 1, size, size);
    }
}
