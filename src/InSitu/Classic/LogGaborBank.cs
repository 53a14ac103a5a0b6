using InSitu.Torch;

namespace InSitu.Classic;

/// <summary>
/// The Gabor baseline's features (METHODS.md section 2): a log-Gabor bank of 4 scales x 6 orientations,
/// each response's magnitude average-pooled 8x8, flattened and concatenated.
///
/// A log-Gabor filter is defined in frequency: G(f, theta) = exp(-log(f/f0)^2 / (2 log(sigmaOnf)^2)) *
/// exp(-(theta - theta0)^2 / (2 sigmaTheta^2)), with centre frequencies f0 = 1 / (minWavelength * mult^s). It has
/// no DC response and, being one-sided in orientation, a complex spatial kernel: even (real) and odd (imaginary)
/// parts, whose magnitude is the local energy at that scale and orientation. Kernels are made once by an inverse
/// DFT of the frequency response on a KxK grid and applied as convolutions.
/// </summary>
public sealed class LogGaborBank : IDisposable
{
    public int Scales { get; }
    public int Orientations { get; }
    public int KernelSize { get; }
    public int Pool { get; }
    private readonly Tensor _kernels; // (2 * filters) x 1 x K x K: real parts, then imaginary parts

    public LogGaborBank(int scales = 4, int orientations = 6, int kernelSize = 31, float minWavelength = 3, float mult = 2.1f,
        float sigmaOnf = 0.55f, float orientationSpread = 1.2f, int pool = 8)
    {
        if (kernelSize % 2 == 0) throw new ArgumentException("the kernel size must be odd");
        (Scales, Orientations, KernelSize, Pool) = (scales, orientations, kernelSize, pool);
        int k = kernelSize, filters = scales * orientations, half = k / 2;
        var weights = new float[2 * filters * k * k];
        double sigmaTheta = Math.PI / orientations / orientationSpread;
        var response = new double[k, k];
        // The inverse DFT's phase is 2 pi m / k for an integer m = (u - half)(x - half) + (v - half)(y - half) within
        // +-2 half^2: its cosines and sines come from a table, the same doubles as computed in the loop, at a fraction
        // of the cost (the loop below runs scales x orientations x k^4 times).
        int span = 2 * half * half;
        var cos = new double[2 * span + 1];
        var sin = new double[2 * span + 1];
        for (int m = -span; m <= span; m++)
        {
            double phase = 2 * Math.PI * m / k;
            (cos[m + span], sin[m + span]) = (Math.Cos(phase), Math.Sin(phase));
        }
        for (int s = 0; s < scales; s++)
            for (int o = 0; o < orientations; o++)
            {
                double f0 = 1.0 / (minWavelength * Math.Pow(mult, s)), theta0 = o * Math.PI / orientations;
                for (int v = 0; v < k; v++)
                    for (int u = 0; u < k; u++)
                    {
                        double fu = (double)(u - half) / k, fv = (double)(v - half) / k, f = Math.Sqrt(fu * fu + fv * fv);
                        if (f == 0) { response[v, u] = 0; continue; }
                        double radial = Math.Exp(-Math.Pow(Math.Log(f / f0), 2) / (2 * Math.Pow(Math.Log(sigmaOnf), 2)));
                        double dTheta =
                            Math.Abs(Math.Atan2(Math.Sin(Math.Atan2(-fv, fu) - theta0), Math.Cos(Math.Atan2(-fv, fu) - theta0)));
                        response[v, u] = radial * Math.Exp(-dTheta * dTheta / (2 * sigmaTheta * sigmaTheta));
                    }
                int filter = s * orientations + o;
                for (int y = 0; y < k; y++)
                    for (int x = 0; x < k; x++)
                    {
                        double re = 0, im = 0;
                        for (int v = 0; v < k; v++)
                            for (int u = 0; u < k; u++)
                            {
                                double g = response[v, u];
                                if (g < 1e-9) continue;
                                int m = (u - half) * (x - half) + (v - half) * (y - half) + span;
                                re += g * cos[m];
                                im += g * sin[m];
                            }
                        weights[(filter * k + y) * k + x] = (float)(re / (k * k));
                        weights[((filters + filter) * k + y) * k + x] = (float)(im / (k * k));
                    }
            }
        _kernels = Tensor.FromArray(weights, 2 * filters, 1, k, k);
    }

    /// <summary>Response magnitudes, N x filters x H x W, for grey images N x 1 x H x W.</summary>
    public Tensor Responses(Tensor images)
    {
        if (images.Dim != 4 || images.Size(1) != 1)
            throw new ArgumentException($"the Gabor bank takes grey images N x 1 x H x W, not {string.Join("x", images.Shape)}");
        using var scope = TorchRuntime.NewDisposeScope();
        int half = KernelSize / 2, filters = Scales * Orientations;
        var padded = F.ReflectionPad2d(images, half, half, half, half);
        var both = F.Conv2d(padded, _kernels);
        var re = both.Narrow(1, 0, filters);
        var im = both.Narrow(1, filters, filters);
        return scope.MoveToOuter(re.Mul(re).Add(im.Mul(im)).Sqrt());
    }

    /// <summary>The baseline's feature vector per image: pooled magnitudes, flattened.</summary>
    public Tensor Features(Tensor images)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var pooled = F.AvgPool2d(Responses(images), new long[] { Pool, Pool });
        return scope.MoveToOuter(pooled.Flatten(1));
    }

    public void Dispose() => _kernels.Dispose();
}
